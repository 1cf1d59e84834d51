"""Where vnfacts finds its data: from the package, never the current folder.

The repository layout puts rules/, corpus/ and extracted/ next to the
package; environment variables point elsewhere (VNFACTS_RULES,
VNFACTS_DB, VNFACTS_SHARED).
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPO = PACKAGE.parent
RULES_DIR = Path(os.environ.get("VNFACTS_RULES", REPO / "rules"))
SITES_DIR = RULES_DIR / "sites"
CORPUS_DIR = REPO / "corpus"
SAMPLE_DIR = CORPUS_DIR / "sample"
DEFAULT_DB = Path(os.environ.get("VNFACTS_DB", REPO / "extracted" / "vnfacts.duckdb"))
QUERIES_DIR = PACKAGE / "store" / "queries"
SHARED = Path(os.environ.get("VNFACTS_SHARED", REPO.parent / "shared"))
# What vnfacts keeps between runs to start faster (compiled regexes): safe to delete.
USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
CACHE_DIR = Path(os.environ.get("VNFACTS_CACHE", USER_CACHE / "vnfacts"))
