"""A query during a long ingest succeeds (issue 11 keeps issue 9's promise).

`vnfacts ingest` keeps its connection across batches for up to
store.session.HOLD seconds, then lets go of the file while it cleans the next
batch. Real processes: an ingest of a few thousand pages, and `vnfacts
query` runs started while it goes, each allowed to wait only QUERY_WAIT
seconds for the lock."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from pipeline.store import connect
from tests.conftest import REPO

PAGES = 6000
QUERY_WAIT = "6"  # seconds: a loaded machine doubles the ~1.6 s a query may wait; the ingest takes longer


def vnfacts(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", *map(str, args)], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})


def write_pages(path) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for n in range(PAGES):
            body = "".join(f"<p>Đoạn {k} của bài {n}: huyện đã sắp xếp {k + n % 7} thôn, tổ dân phố.</p>"
                           for k in range(12))
            html = f"<html><head><title>Bài {n}</title></head><body><article><h1>Bài {n}</h1>{body}</article></body></html>"
            out.write(json.dumps({"id": f"bai-{n}", "html": html}, ensure_ascii=False) + "\n")


def test_queries_succeed_while_an_ingest_runs(tmp_path):
    source, db = tmp_path / "pages.jsonl", tmp_path / "db.duckdb"
    write_pages(source)
    connect(db).close()  # the first query must not race the ingest to create the file
    ingest = vnfacts("ingest", "--db", db, source)
    counts, failures = [], []
    try:
        while ingest.poll() is None:
            query = vnfacts("query", "SELECT count(*) AS n FROM documents", "--json", "--db", db,
                            env={"VNFACTS_LOCK_WAIT": QUERY_WAIT})
            out, err = query.communicate(timeout=60)
            if query.returncode != 0:
                failures.append(err.strip().splitlines()[-1:])
            elif ingest.poll() is None:
                counts.append(json.loads(out)[0]["n"])
            time.sleep(0.1)
        _, err = ingest.communicate(timeout=120)
    finally:
        if ingest.poll() is None:
            ingest.kill()
    assert ingest.returncode == 0, err
    assert f"{PAGES} added" in err
    assert failures == []
    assert len(counts) >= 2, counts  # the queries ran while the ingest did
    assert counts == sorted(counts) and counts[-1] < PAGES  # they saw it grow, batch by batch
