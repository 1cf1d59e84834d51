"""Shared fixtures. underthesea loads once per session (module import)."""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# The tests' compiled-regex cache (extract/regex_cache.py) is theirs, not the user's: one per session.
if "VNFACTS_CACHE" not in os.environ:
    os.environ["VNFACTS_CACHE"] = tempfile.mkdtemp(prefix="vnfacts-test-cache-")
    atexit.register(shutil.rmtree, os.environ["VNFACTS_CACHE"], ignore_errors=True)
from hostguard import crawls_stay_on_their_sites, start_audit  # noqa: E402, F401 (an autouse fixture)

REPO = Path(__file__).resolve().parents[1]
# The shared data (spec, seeds, gold, bulk corpus) sits next to the repo;
# VNFACTS_SHARED points elsewhere (the benchmark reads the same variable).
SHARED = Path(os.environ.get("VNFACTS_SHARED", REPO.parent / "shared"))
SEEDS = SHARED / "corpus" / "seeds"
SEEDS_GOLD = SHARED / "gold" / "seeds.jsonl"
SAMPLE = REPO / "corpus" / "sample"


def pytest_configure(config):
    if not (SHARED / "gold" / "seeds.jsonl").is_file():
        pytest.exit(f"shared data not found at {SHARED}: clone next to ../shared or set VNFACTS_SHARED", 2)
    start_audit()  # every crawl process from here on writes down its connections (hostguard.py)


def run_cli(*args, env=None, check=True) -> subprocess.CompletedProcess:
    """Drive the real `vnfacts` command, as a user would."""
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], capture_output=True,
                            text=True, cwd=REPO, env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"vnfacts {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def ruleset():
    from pipeline.extract.rules import load_ruleset

    return load_ruleset()


@pytest.fixture(scope="session")
def seeds_db(tmp_path_factory):
    """A real DuckDB file with the five seed articles ingested and extracted."""
    from pipeline import core, store
    from pipeline.ingest import ingest_paths

    path = tmp_path_factory.mktemp("seeds") / "seeds.duckdb"
    with store.connect(path) as con:
        report = ingest_paths(con, [SEEDS])
        assert report.added == 5 and not report.errors
        core.extract_pending(con)
    return path
