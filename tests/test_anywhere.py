"""Every command behaves the same from any folder: rules, sites, saved
queries, the sample corpus and the default database are found from the
package (pipeline.paths), never from the current directory."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest

from pipeline.paths import DEFAULT_DB, SAMPLE_DIR, SITES_DIR
from tests.conftest import REPO, SEEDS


def run_in(folder, *args, check=True) -> subprocess.CompletedProcess:
    """The real `vnfacts` command started in `folder` (not the repository)."""
    env = {k: v for k, v in os.environ.items() if k not in ("VNFACTS_RULES", "VNFACTS_DB")}
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], capture_output=True,
                            text=True, cwd=folder, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"vnfacts {' '.join(map(str, args))} in {folder} failed:\n{result.stderr}")
    return result


def side_by_side(*calls):
    """Run at the same time: in a tree others edit, both see the same rules."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(c) for c in calls]]


@pytest.fixture()
def elsewhere(tmp_path):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    assert not (folder / "rules").exists() and folder.resolve() != REPO
    return folder


def test_demo_from_another_folder_crawls_the_bundled_samples(elsewhere, tmp_path):
    db = tmp_path / "demo.duckdb"
    result = run_in(elsewhere, "demo", "--db", db, "--corpus", tmp_path / "corpus")
    with duckdb.connect(str(db), read_only=True) as con:
        ids = sorted(r[0] for r in con.execute("SELECT id FROM documents").fetchall())
        facts = con.execute("SELECT count(*) FROM facts").fetchall()[0][0]
    assert ids == sorted(p.stem for p in SAMPLE_DIR.glob("*.html"))  # not the built-in fallback pages
    assert facts > 50 and f"{facts} facts in" in result.stderr
    status = run_in(elsewhere, "status", "--db", db).stdout
    assert all(site in status for site in ("tin-tinh", "bao-so", "cong-thong-tin")) and " done " in status
    assert list((tmp_path / "corpus" / "warc").glob("*.warc.gz"))


def ingest_extract_query(folder, seeds, db) -> list[dict]:
    run_in(folder, "ingest", seeds, "--db", db)
    run_in(folder, "extract", "--db", db)
    return json.loads(run_in(folder, "query", "facts_by_province", "--json", "--db", db).stdout)


def test_ingest_extract_query_from_another_folder_match_the_repository(elsewhere, tmp_path):
    """Relative paths are the user's (read from their folder); the rest comes from the package."""
    os.symlink(SEEDS, elsewhere / "seeds")
    here, there = side_by_side(lambda: ingest_extract_query(elsewhere, "seeds", tmp_path / "here.duckdb"),
                               lambda: ingest_extract_query(REPO, SEEDS, tmp_path / "there.duckdb"))
    assert here and here == there


def test_rules_test_from_another_folder(elsewhere):
    """The same rules, the same examples, the same verdict (pass or not)."""
    here, there = side_by_side(lambda: run_in(elsewhere, "rules", "test", check=False),
                               lambda: run_in(REPO, "rules", "test", check=False))
    last = here.stdout.splitlines()[-1]
    assert (here.returncode, last) == (there.returncode, there.stdout.splitlines()[-1])
    assert last.endswith("examples pass") and int(last.split("/")[1].split()[0]) > 100


def test_crawl_help_shows_package_paths(elsewhere):
    text = " ".join(run_in(elsewhere, "crawl", "--help").stdout.split())
    assert str(SITES_DIR) in text and str(DEFAULT_DB) in text


def test_province_of_a_known_site_from_another_folder(elsewhere):
    """Site files (and the provinces they give) are read from the package."""
    code = ("from pipeline.crawl.sites import load_sites; sites, errors = load_sites(); "
            "print(len(sites), len(errors))")
    out = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, capture_output=True, text=True, check=True)
    count, errors = map(int, out.stdout.split())
    assert count == len(list(SITES_DIR.glob("*.yaml"))) and count > 0 and errors == 0
