"""kill -9 at any point of ingest, extract or the re-ingest of changed
documents, then a rerun, gives the database a clean run gives (issue 9).

The killed runs are the real `vnfacts` command (its click entry point, in a
process of its own), killed with SIGKILL at fractions of the time the same
step takes in the clean run, so some kills land inside a batch's replacement
transaction. Every run is forked from one helper process that imported the
pipeline and loaded the segmenter and the rules once: the 20 runs do not each
spend their first seconds importing, so the fractions fall in the step's work
(reading, writing the database) rather than in Python's start-up."""
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

# The helper: warms up once, then for each request line forks a child that
# runs `vnfacts ARGS` and reports its pid; "wait PID" reports its exit code.
FORKER = r"""
import json, os, sys
from pipeline import core
from pipeline.cli.main import main
core.extract_document(core.prepare_document({"id": "w", "text": "Tỉnh hiện có 120 xã sau khi sắp xếp, sáp nhập."}))
print("ready", flush=True)
for line in sys.stdin:
    request = json.loads(line)
    if request[0] == "wait":
        _, status = os.waitpid(request[1], 0)
        print(os.waitstatus_to_exitcode(status), flush=True)
        continue
    err = os.open(request[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0), os.dup2(null, 1), os.dup2(err, 2)
        try:
            main(args=request[2:], prog_name="vnfacts")
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except BaseException:
            import traceback; traceback.print_exc(); code = 1
        else:
            code = 0
        sys.stderr.flush()
        os._exit(code)
    os.close(err)
    print(pid, flush=True)
"""


def write_input(path, changed: bool) -> None:
    """DOCS documents; the changed input rewrites every third one."""
    lines = []
    for i in range(DOCS):
        n = i % 700 + 2 + (1 if changed and i % 3 == 0 else 0)
        lines.append(json.dumps({"id": f"k{i:05d}", "published": "05/06/2024",
                                 "text": TEXT.format(i=i, n=n, k=i % 40 + 1)}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class Forker:
    """The helper process; start() forks one `vnfacts` run, finish() waits for it."""

    def __init__(self, folder, rules):
        self.errors = folder / "stderr.txt"
        self.process = subprocess.Popen([sys.executable, "-c", FORKER], cwd=REPO, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env={**os.environ, "VNFACTS_RULES": str(rules)})
        assert self.ask() == "ready", "the helper did not start"

    def ask(self, *request) -> str:
        if request:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def start(self, *args) -> int:
        return int(self.ask("run", str(self.errors), *map(str, args)))

    def finish(self, pid: int) -> int:
        return int(self.ask("wait", pid))

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kill")
    shutil.copytree(REPO / "rules", folder / "rules")  # the same rules for the clean and the killed runs
    write_input(folder / "first.jsonl", changed=False)
    write_input(folder / "changed.jsonl", changed=True)
    return folder


@pytest.fixture(scope="module")
def forker(inputs):
    helper = Forker(inputs, inputs / "rules")
    yield helper
    helper.close()


def run(forker, *args) -> float:
    started = time.monotonic()
    code = forker.finish(forker.start(*args))
    assert code == 0, forker.errors.read_text(encoding="utf-8")
    return time.monotonic() - started


def killed(forker, args, after: float) -> bool:
    """Was the run still going when SIGKILL came?"""
    pid = forker.start(*args)
    time.sleep(after)
    os.kill(pid, signal.SIGKILL)  # a child that already ended is a zombie until finish(): the pid is still its own
    return forker.finish(pid) == -signal.SIGKILL


def snapshot(db) -> tuple[list, list]:
    doc_cols = ", ".join(store.DOC_COLUMNS + ["extracted_version"])
    fact_cols = ", ".join(f'"{c}"' for c in store.FACT_COLUMNS)
    with duckdb.connect(str(db), read_only=True) as con:
        docs = con.execute(f"SELECT {doc_cols} FROM documents ORDER BY id").fetchall()
        facts = con.execute(f"SELECT {fact_cols} FROM facts ORDER BY ALL").fetchall()
    return docs, facts


def steps(inputs):
    return [("ingest", inputs / "first.jsonl"), ("extract",), ("ingest", inputs / "changed.jsonl"), ("extract",)]


@pytest.fixture(scope="module")
def clean_run(inputs, forker):
    """The reference database and how long each step took."""
    db = inputs / "clean.duckdb"
    times = [run(forker, *step, "--db", db) for step in steps(inputs)]
    return snapshot(db), times


@pytest.mark.slow
@pytest.mark.parametrize("fractions", [(0.5, 0.4, 0.6, 0.7), (0.8, 0.75, 0.85, 0.3)], ids=["early", "late"])
def test_kill_then_rerun_converges(inputs, forker, clean_run, tmp_path, fractions):
    reference, times = clean_run
    db = tmp_path / "killed.duckdb"
    interrupted = []
    for step, seconds, fraction in zip(steps(inputs), times, fractions):
        interrupted.append(killed(forker, [*step, "--db", db], seconds * fraction))
        run(forker, *step, "--db", db)
    assert any(interrupted), "no kill landed while a run was going"
    docs, facts = snapshot(db)
    assert len(docs) == DOCS and len(facts) > DOCS
    for got, want in ((docs, reference[0]), (facts, reference[1])):
        assert (sorted(set(got) - set(want))[:3], sorted(set(want) - set(got))[:3]) == ([], [])
        assert len(got) == len(want)
