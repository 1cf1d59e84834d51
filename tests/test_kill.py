"""kill -9 at any point of ingest, extract or the re-ingest of changed
documents, then a rerun, gives the database a clean run gives (issue 9).

The killed runs are the real `vnfacts` command in a child process, killed
with SIGKILL at fractions of the time the same step takes in the clean run,
so some kills land inside a batch's replacement transaction."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from pipeline import store
from tests.conftest import REPO

TEXT = "Xã {i} hiện có {n} thôn, tổ dân phố sau khi sắp xếp, sáp nhập; giảm {k} người hoạt động không chuyên trách."
DOCS = 500


def write_input(path, changed: bool) -> None:
    """DOCS documents; the changed input rewrites every third one."""
    lines = []
    for i in range(DOCS):
        n = i % 700 + 2 + (1 if changed and i % 3 == 0 else 0)
        lines.append(json.dumps({"id": f"k{i:05d}", "published": "05/06/2024",
                                 "text": TEXT.format(i=i, n=n, k=i % 40 + 1)}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


RULES = {}  # VNFACTS_RULES: one copy of rules/ for every run of this module


def vnfacts(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", *map(str, args)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **RULES})


def run(*args) -> float:
    started = time.monotonic()
    job = vnfacts(*args)
    _, err = job.communicate(timeout=600)
    assert job.returncode == 0, err
    return time.monotonic() - started


def killed(args, after: float) -> None:
    job = vnfacts(*args)
    time.sleep(after)
    if job.poll() is None:
        os.kill(job.pid, signal.SIGKILL)
    job.wait(timeout=60)


def snapshot(db) -> tuple[list, list]:
    doc_cols = ", ".join(store.DOC_COLUMNS + ["extracted_version"])
    fact_cols = ", ".join(f'"{c}"' for c in store.FACT_COLUMNS)
    with duckdb.connect(str(db), read_only=True) as con:
        docs = con.execute(f"SELECT {doc_cols} FROM documents ORDER BY id").fetchall()
        facts = con.execute(f"SELECT {fact_cols} FROM facts ORDER BY ALL").fetchall()
    return docs, facts


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kill")
    shutil.copytree(REPO / "rules", folder / "rules")  # the same rules for the clean and the killed runs
    RULES["VNFACTS_RULES"] = str(folder / "rules")
    write_input(folder / "first.jsonl", changed=False)
    write_input(folder / "changed.jsonl", changed=True)
    return folder


def steps(inputs):
    return [("ingest", inputs / "first.jsonl"), ("extract",), ("ingest", inputs / "changed.jsonl"), ("extract",)]


@pytest.fixture(scope="module")
def clean_run(inputs):
    """The reference database and how long each step took."""
    db = inputs / "clean.duckdb"
    times = [run(*step, "--db", db) for step in steps(inputs)]
    return snapshot(db), times


@pytest.mark.slow
@pytest.mark.parametrize("fractions", [(0.5, 0.4, 0.6, 0.7), (0.8, 0.75, 0.85, 0.3)], ids=["early", "late"])
def test_kill_then_rerun_converges(inputs, clean_run, tmp_path, fractions):
    reference, times = clean_run
    db = tmp_path / "killed.duckdb"
    for step, seconds, fraction in zip(steps(inputs), times, fractions):
        killed([*step, "--db", db], seconds * fraction)
        run(*step, "--db", db)
    docs, facts = snapshot(db)
    assert len(docs) == DOCS and len(facts) > DOCS
    for got, want in ((docs, reference[0]), (facts, reference[1])):
        assert (sorted(set(got) - set(want))[:3], sorted(set(want) - set(got))[:3]) == ([], [])
        assert len(got) == len(want)
