"""Drive the `vnfacts` command as a user would, on a real DuckDB file."""
from __future__ import annotations

import csv
import io
import json
import shutil

import click
import duckdb
import pytest

from pipeline.cli.main import main
from tests.conftest import run_cli


def all_commands(group=main, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


@pytest.mark.parametrize("path", [()] + list(all_commands()), ids=lambda p: " ".join(p) or "vnfacts")
def test_every_command_has_help(path):
    from click.testing import CliRunner

    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output and len(result.output.splitlines()) > 3


def test_query_output_formats(seeds_db):
    sql = "SELECT indicator, value FROM facts WHERE doc = '001_f2a34b4afc4d1185' ORDER BY start LIMIT 3"
    rows = list(csv.DictReader(io.StringIO(run_cli("query", sql, "--csv", "--db", seeds_db).stdout)))
    as_json = json.loads(run_cli("query", sql, "--json", "--db", seeds_db).stdout)
    lines = [json.loads(l) for l in run_cli("query", sql, "--nl", "--db", seeds_db).stdout.splitlines()]
    table = run_cli("query", sql, "--db", seeds_db).stdout
    assert len(rows) == len(as_json) == len(lines) == 3
    assert [r["indicator"] for r in rows] == [r["indicator"] for r in as_json] == [r["indicator"] for r in lines]
    assert all(r["indicator"] in table for r in rows)


def test_saved_queries_run(seeds_db):
    listing = run_cli("query", "--list").stdout
    for name in ("facts_by_province", "latest_per_locality"):
        assert name in listing
        rows = json.loads(run_cli("query", name, "--json", "--db", seeds_db).stdout)
        assert rows and "indicator" in rows[0]


def test_bad_sql_is_a_clear_error(seeds_db):
    result = run_cli("query", "SELEC nonsense", "--db", seeds_db, check=False)
    assert result.returncode != 0 and "query failed" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_facts_with_provenance(seeds_db, tmp_path, fmt):
    out = tmp_path / f"facts.{fmt}"
    run_cli("export", "facts", "--format", fmt, "-o", out, "--db", seeds_db)
    reader = {"jsonl": "read_json_auto", "csv": "read_csv_auto", "parquet": "read_parquet"}[fmt]
    with duckdb.connect() as con:
        frame = con.execute(f"SELECT * FROM {reader}('{out}')").df()
    with duckdb.connect(str(seeds_db), read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM facts").fetchone()[0]
    assert len(frame) == stored
    assert {"doc", "indicator", "value", "total", "percent", "approx", "change", "status", "level", "locality",
            "province", "province_2025", "as_of", "target_year", "quote", "sentence", "start", "end",
            "rule_id", "rules_version"} <= set(frame.columns)


def test_export_to_stdout_is_jsonl(seeds_db):
    lines = run_cli("export", "documents", "--db", seeds_db).stdout.splitlines()
    assert len(lines) == 5 and all(json.loads(l)["text"] for l in lines)


def test_bad_input_is_reported_and_the_rest_is_stored(tmp_path, seeds_db):
    db = tmp_path / "bad.duckdb"
    shutil.copy(seeds_db, db)
    good = {"id": "ok-1", "url": "http://127.0.0.1/ok-1", "site": "example", "title": "Tin",
            "published": "2023-04-12", "text": "Huyện Bảo Thắng hiện có 112 thôn, tổ dân phố sau sắp xếp."}
    lines = [json.dumps(good, ensure_ascii=False), "{broken json", json.dumps({"id": "no-text"}),
             json.dumps({**good, "id": "en", "text": "The province has 112 villages after the merger of hamlets."}),
             json.dumps({**good, "id": "empty", "text": "   "})]
    (tmp_path / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    result = run_cli("ingest", tmp_path / "docs.jsonl", tmp_path / "image.html", "--db", db, check=False)
    err = result.stderr
    assert "docs.jsonl:2: not valid JSON" in err and "docs.jsonl:3" in err and "no-text" in err
    assert "'en'" in err and "not Vietnamese" in err and "'empty'" in err and "image.html" in err
    assert "1 added" in err
    ids = run_cli("query", "SELECT id FROM documents ORDER BY id", "--csv", "--db", db).stdout.split()
    assert "ok-1" in ids and len(ids) == 1 + 1 + 5  # header, new document, five seeds untouched
    run_cli("extract", "--db", db)
    facts = json.loads(run_cli("query", "SELECT indicator, value FROM facts WHERE doc='ok-1'", "--json", "--db", db).stdout)
    assert facts == [{"indicator": "hamlet", "value": 112.0}]


def test_misspelled_saved_query_is_named_with_a_suggestion(seeds_db):
    result = run_cli("query", "facts_by_provnce", "--db", seeds_db, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no saved query named 'facts_by_provnce': did you mean facts_by_province?" in result.stderr


def test_two_output_formats_are_an_error(seeds_db):
    result = run_cli("query", "SELECT 1 AS a", "--csv", "--json", "--db", seeds_db, check=False)
    assert result.returncode == 1 and "choose one output format, not --csv and --json" in result.stderr
    assert result.stdout == ""


def test_rules_test_of_a_rule_that_does_not_exist():
    result = run_cli("rules", "test", "--rule", "no_such_rule", check=False)
    assert result.returncode == 1 and "no rule id starts with 'no_such_rule'" in result.stderr


def test_unexpected_errors_are_one_line_unless_debug(tmp_path):
    """Another program's DuckDB file with a `documents` table of its own:
    DuckDB's error in one line; --debug shows the traceback."""
    db = tmp_path / "foreign.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE documents (id INTEGER, body TEXT)")
    (tmp_path / "one.jsonl").write_text(json.dumps({"id": "a", "text": "Huyện Bảo Thắng hiện có 112 thôn, tổ dân phố sau khi sắp xếp, sáp nhập."}) + "\n")
    quiet = run_cli("ingest", tmp_path / "one.jsonl", "--db", db, check=False)
    loud = run_cli("--debug", "ingest", tmp_path / "one.jsonl", "--db", db, check=False)
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    last = quiet.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "content_hash" in last and last.endswith("shows the traceback)")
    assert "Traceback" in loud.stderr


def test_saved_queries_sort_vietnamese_names_in_vietnamese_order(tmp_path):
    """'Đ' after 'D' and before 'E' (byte order puts it after 'Y')."""
    from pipeline import store

    db = tmp_path / "vi.duckdb"
    provinces = ["Yên Bái", "Điện Biên", "Đắk Lắk", "Bến Tre", "An Giang", "Đà Nẵng", "Cà Mau"]
    facts = [{"doc": f"d{i}", "indicator": "hamlet", "value": 3, "province": p, "status": "target",
              "quote": "3 thôn", "start": 0, "end": 6, "rule_id": "r", "rules_version": "v"}
             for i, p in enumerate(provinces)]
    with store.connect(db) as con:
        store.replace_facts(con, [f["doc"] for f in facts], facts, "v")
    for name in ("facts_by_province", "targets"):
        got = [r["province"] for r in json.loads(run_cli("query", name, "--json", "--db", db).stdout)]
        assert got == ["An Giang", "Bến Tre", "Cà Mau", "Đà Nẵng", "Đắk Lắk", "Điện Biên", "Yên Bái"], name


def test_tables_fit_the_width_and_wrap_between_syllables(seeds_db):
    sql = "SELECT indicator, value, sentence FROM facts WHERE length(sentence) > 150 ORDER BY doc, start LIMIT 3"
    rows = json.loads(run_cli("query", sql, "--json", "--db", seeds_db).stdout)
    out = run_cli("query", sql, "--width", "60", "--db", seeds_db).stdout.splitlines()
    assert len(rows) == 3 and all(len(line) <= 60 for line in out) and len(out) > 4
    words = " ".join(out[1:]).split()
    for row in rows:
        value = str(int(row["value"])) if row["value"] == int(row["value"]) else str(row["value"])
        assert value in words  # a whole count prints as 112, not 112.0
        sentence = row["sentence"].split()
        assert any(words[i:i + len(sentence)] == sentence for i in range(len(words)))  # no syllable cut


def test_a_reader_that_stops_early_gets_no_traceback(seeds_db):
    """`vnfacts query ... | head -1`: the pipe closes under a long output."""
    import subprocess
    import sys
    sql = "SELECT range AS n, repeat('xã ', 50) AS t FROM range(200000)"
    job = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "query", "--db", str(seeds_db), sql, "--csv"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert job.stdout.readline().startswith(b"n,t")
    job.stdout.close()
    err = job.stderr.read().decode()
    assert job.wait(timeout=60) == 1 and err == "", err
