"""Helpers for the review page tests: a sample database built once per
session (bundled samples, the shared seeds, one hostile page), copied for
each test that writes, and a real uvicorn server on 127.0.0.1."""
from __future__ import annotations

import atexit
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pipeline
from tests.conftest import SAMPLE, SEEDS

HOSTILE_ID = "hostile-0001"
# Text a scraped page could carry: a script in the title, markup in the body
# around a real fact sentence (own wording). None of it may run in the page.
HOSTILE = {
    "id": HOSTILE_ID, "url": "javascript:window.__pwned_url=1", "site": "<b>site</b>",
    "title": 'Tỉnh Đắk Nông <script>window.__pwned=1</script> "giảm" xã',
    "published": "2025-03-12",
    "text": ('Tỉnh Đắk Nông <script>window.__pwned=1</script> "giảm" xã\n\n'
             'Tỉnh Đắk Nông <img src=x onerror="window.__pwned=2"> đã sắp xếp 45 xã còn 20 xã, '
             'giảm 25 đơn vị hành chính cấp xã <script>window.__pwned=3</script>.'),
}
# A figure no rule reads (own wording): a reviewer adds it from a selection.
MISSED_ID = "missed-0001"
MISSED_WORDS = "17 đồng chí"
MISSED = {
    "id": MISSED_ID, "url": "https://example.test/missed", "site": "Báo thử", "published": "2024-05-20",
    "title": "Lai Châu củng cố cơ sở",
    "text": ("Lai Châu củng cố cơ sở\n\nNăm 2024, huyện Mường Tè đã cử 17 đồng chí về công tác tại các bản "
             "vùng cao để hỗ trợ người dân."),
}
_BUILT: dict[str, Path] = {}


def sample_db() -> Path:
    """The session's pristine database (ingested and extracted once)."""
    if "db" not in _BUILT:
        folder = Path(tempfile.mkdtemp(prefix="vnfacts-serve-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "sample.duckdb"
        with pipeline.connect(path) as con:
            report = pipeline.ingest_paths(con, [SAMPLE, SEEDS])
            assert not report.errors, report.errors
            pipeline.ingest_records(con, [dict(HOSTILE), dict(MISSED)], source="test:servekit")
            pipeline.extract_pending(con)
        _BUILT["db"] = path
    return _BUILT["db"]


def copy_db(folder: Path) -> Path:
    target = folder / "review.duckdb"
    shutil.copy(sample_db(), target)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """uvicorn serving create_app(db) in a thread of this process, so the
    test reads the same DuckDB file between requests."""

    def __init__(self, db: Path, reviewer: str = "tester"):
        import uvicorn

        from pipeline.serve.app import create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(db, reviewer), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)
