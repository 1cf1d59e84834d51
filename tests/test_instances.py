"""A process may keep one DuckDB instance per file (store/instances.py,
`vnfacts run` and the crawl child do): the file must still be let go,
checkpointed, the moment the last connection closes, as when closing the
connection ended the instance."""
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.store import connect, instances, reused_instances


@pytest.fixture(autouse=True)
def reusing():
    with reused_instances(1000):
        yield


def other_process_writes(path: Path) -> subprocess.CompletedProcess:
    """Another process opens the file for writing (it fails while this one holds it)."""
    code = (f"import duckdb; c = duckdb.connect({str(path)!r}); "
            "c.execute('CREATE TABLE IF NOT EXISTS other(x INT)'); c.close()")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_the_file_is_let_go_and_checkpointed_when_the_last_connection_closes(tmp_path):
    path = tmp_path / "kept.duckdb"
    first, second = connect(path), connect(path)
    first.execute("CREATE TABLE t AS SELECT range AS x FROM range(50000)")
    first.close()
    assert "Conflicting lock" in other_process_writes(path).stderr  # the second still holds it
    assert second.execute("SELECT count(*) FROM t").fetchone()[0] == 50000
    second.close()
    assert not Path(f"{path}.wal").exists()  # detaching checkpointed it
    assert other_process_writes(path).returncode == 0


def test_a_connection_after_a_release_sees_the_file_as_its_default(tmp_path):
    path = tmp_path / "again.duckdb"
    with connect(path) as con:
        con.execute("CREATE TABLE t(x INT)")
    assert other_process_writes(path).returncode == 0  # written by another process in between
    with connect(path) as con:
        assert con.execute("SELECT current_database()").fetchone()[0] == "again"
        assert con.cursor().execute("SELECT current_database()").fetchone()[0] == "again"
        tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {"t", "other"} <= tables


def test_one_instance_is_kept_per_file_and_mode(tmp_path):
    path = tmp_path / "one.duckdb"
    connect(path).close()
    kept = dict(instances._INSTANCES)
    for _ in range(3):
        connect(path).close()
        connect(path, read_only=True).close()
    rw = [key for key in instances._INSTANCES if key not in kept]
    assert len(rw) == 1 and rw[0].endswith("-ro")  # the rw one was there already


def test_an_instance_duckdb_will_not_detach_is_closed_instead(tmp_path):
    path = tmp_path / "stuck.duckdb"
    con = connect(path)
    key = next(k for k, v in instances._INSTANCES.items() if v.path == path)
    instance = instances._INSTANCES[key]
    instance.keeper = _RefusingKeeper(instance.keeper)
    con.close()
    assert key not in instances._INSTANCES
    assert other_process_writes(path).returncode == 0


class _RefusingKeeper:
    """A keeper whose cursors refuse every statement (DuckDB refusing the DETACH)."""

    def __init__(self, real):
        self.real = real

    def cursor(self):
        raise duckdb.InvalidInputException("refused")

    def close(self):
        self.real.close()


def test_a_connection_dropped_without_close_lets_go_of_the_file(tmp_path):
    path = tmp_path / "dropped.duckdb"
    con = connect(path)
    con.execute("CREATE TABLE t(x INT)")
    del con
    assert other_process_writes(path).returncode == 0


def kept(path: Path) -> list[str]:
    return [key for key, instance in instances._INSTANCES.items() if instance.path == path]


def test_by_default_the_instance_ends_with_the_last_connection(tmp_path):
    path = tmp_path / "plain.duckdb"
    with reused_instances(1):
        connect(path).close()
        assert kept(path) == []
    connect(path).close()
    assert len(kept(path)) == 1  # within this file's fixture: kept


def test_an_instance_is_made_anew_after_its_attachments(tmp_path):
    path = tmp_path / "renewed.duckdb"
    with reused_instances(3):
        for _ in range(2):
            connect(path).close()
        first = instances._INSTANCES[kept(path)[0]]
        connect(path).close()  # the third attachment: closed after it
        assert kept(path) == []
        with connect(path) as con:
            assert instances._INSTANCES[kept(path)[0]] is not first
            assert con.execute("SELECT current_database()").fetchone()[0] == "renewed"
    assert instances.REUSES == 1000  # restored on leaving
