"""Stage 1, clean: a page's main text, title, lead and date (page.py).

clean_html and Cleaned are imported on first use: page.py loads trafilatura
and htmldate (~0.2 s), which a plain-text document never needs (issue 11).
"""
import importlib

from pipeline.clean.furniture import is_furniture
from pipeline.clean.parse import CleanError, clean_text, decode

_HTML = ("Cleaned", "clean_html")


def __getattr__(name: str):
    if name not in _HTML:
        raise AttributeError(f"module 'pipeline.clean' has no attribute {name!r}")
    value = getattr(importlib.import_module("pipeline.clean.page"), name)
    globals()[name] = value
    return value


__all__ = ["CleanError", "Cleaned", "clean_html", "clean_text", "decode", "is_furniture"]
