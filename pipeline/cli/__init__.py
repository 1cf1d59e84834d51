"""The command line: a thin layer over the library (pipeline/__init__.py)."""
from pipeline.cli.main import main

__all__ = ["main"]
