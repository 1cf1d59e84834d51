"""Stage 1, clean: a page's main text, title, lead and date (page.py)."""
from pipeline.clean.page import (
    Cleaned,
    CleanError,
    clean_html,
    clean_text,
    decode,
    is_furniture,
)

__all__ = ["CleanError", "Cleaned", "clean_html", "clean_text", "decode", "is_furniture"]
