"""The review page over HTTP (Starlette's client, a real DuckDB file built from
the bundled samples and the shared seeds): browse, facets, review decisions,
keys that survive re-extraction, orphaned reviews, gold export -> eval."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time

import pytest
from servekit import HOSTILE_ID, MISSED_ID, MISSED_WORDS, copy_db, free_port, sample_db
from starlette.testclient import TestClient

import pipeline
from pipeline.serve.app import create_app
from pipeline.serve.gold import write_gold
from pipeline.store import reviews
from tests.conftest import REPO, run_cli


@pytest.fixture()
def db(tmp_path):
    return copy_db(tmp_path)


@pytest.fixture()
def client(db):
    app = create_app(db, reviewer="tester", idle=0)  # closed after each request: the CLI can take the file
    with TestClient(app, base_url="http://127.0.0.1:8765") as test_client:
        test_client.token = page_token(test_client)
        yield test_client


def page_token(client) -> str:
    """The token a page gives this client's session, read as the browser reads it."""
    page = client.get("/")
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)


def post(client, path, body, token=None):
    return client.post(path, json=body, headers={"X-Token": client.token if token is None else token})


def all_facts(db) -> list[dict]:
    with reviews.open_db(db) as con:
        return reviews.rows(con.execute(f"SELECT f.*, {reviews.key_sql('f')} AS fact_key FROM facts f"))


def stored_reviews(db) -> list[dict]:
    with reviews.open_db(db) as con:
        return reviews.rows(con.execute("SELECT * FROM reviews ORDER BY id"))


def queue_key(client, query="") -> str:
    page = client.get(f"/review{query}")
    assert page.status_code == 200
    return re.search(r'id="review"[^>]*data-key="([0-9a-f]{16})"', page.text).group(1)


def test_python_and_sql_fact_keys_agree():
    facts = all_facts(sample_db())
    assert len(facts) > 100
    assert all(reviews.fact_key(f) == f["fact_key"] for f in facts)


def test_fact_key_ignores_offsets_rules_and_locality_case():
    fact = {"doc": "d", "indicator": "hamlet", "change": "count", "value": 412.0, "locality": "Huyện Cam Lộ",
            "status": "achieved", "start": 10, "rule_id": "r1"}
    moved = {**fact, "start": 99, "rule_id": "r2", "locality": " huyện cam lộ "}
    assert reviews.fact_key(fact) == reviews.fact_key(moved)
    assert reviews.fact_key(fact) != reviews.fact_key({**fact, "status": "target"})
    assert reviews.fact_key(fact) != reviews.fact_key({**fact, "locality": "huyện Hạ Hòa"})


def test_facet_counts_add_up_and_filters_narrow_the_table(client, db):
    facts = all_facts(db)
    with reviews.open_db(db) as con:
        counts = reviews.facet_counts(con, {})
        assert all(sum(n for _, n in counts[facet]) == len(facts) for facet in reviews.FACETS)
        indicator, expected = counts["indicator"][0]
        rows, total = reviews.browse(con, {"indicator": indicator}, per_page=500)
    assert total == expected == sum(f["indicator"] == indicator for f in facts)
    assert {r["indicator"] for r in rows} == {indicator}
    page = client.get("/", params={"indicator": indicator})
    assert f'<span id="total">{expected}</span>' in page.text
    assert page.text.count("<tr data-key=") == min(expected, 50)


def test_null_facet_value_filters_missing_fields(db):
    with reviews.open_db(db) as con:
        rows, total = reviews.browse(con, {"level": reviews.NULL}, per_page=1000)
    assert total == sum(f["level"] is None for f in all_facts(db)) > 0
    assert all(r["level"] is None for r in rows)


def test_sort_and_pages(client, db):
    with reviews.open_db(db) as con:
        first, total = reviews.browse(con, {}, sort="value", descending=True, page=1, per_page=20)
        second, _ = reviews.browse(con, {}, sort="value", descending=True, page=2, per_page=20)
    values = [r["value"] for r in first + second if r["value"] is not None]
    assert values == sorted(values, reverse=True)
    assert not {r["fact_key"] for r in first} & {r["fact_key"] for r in second}
    page = client.get("/", params={"sort": "value", "dir": "desc", "page": "2"})
    assert f"page 2 of {(total + 49) // 50}" in page.text


def test_each_fact_links_to_its_document_where_its_quote_is_marked(client):
    page = client.get("/")
    doc, key = re.search(r'href="/doc/([^"#]+)#f-([0-9a-f]{16})"', page.text).groups()
    document = client.get(f"/doc/{doc}")
    assert document.status_code == 200 and f'id="f-{key}"' in document.text
    assert client.get("/doc/no-such-doc").status_code == 404
    assert client.get("/review", params={"key": "0" * 16}).status_code == 404


def test_review_shows_the_quote_at_its_offsets_in_its_sentence(client, db):
    key = queue_key(client)
    fact = next(f for f in all_facts(db) if f["fact_key"] == key)
    with reviews.open_db(db) as con:
        text = con.execute("SELECT text FROM documents WHERE id = ?", [fact["doc"]]).fetchall()[0][0]
    page = client.get("/review", params={"key": key}).text
    quote = re.search(r'<mark id="quote">(.*?)</mark>', page).group(1)
    assert html_unescape(quote) == text[fact["start"]:fact["end"]] == fact["quote"]
    sentence = html_unescape(re.search(r'<span class="sentence">(.*?)</span>', page).group(1))
    assert re.sub("<[^>]+>", "", sentence) == fact["sentence"]


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_accept_is_stored_and_the_queue_moves_on(client, db):
    key = queue_key(client)
    saved = post(client, "/api/review", {"key": key, "verdict": "accept"})
    assert saved.status_code == 200
    [row] = stored_reviews(db)
    assert (row["fact_key"], row["verdict"], row["reviewer"]) == (key, "accept", "tester")
    assert json.loads(row["fact"])["quote"] == next(f["quote"] for f in all_facts(db) if f["fact_key"] == key)
    assert queue_key(client) != key
    assert "1 / " in client.get("/review").text


def test_reject_correct_and_undo(client, db):
    key = queue_key(client)
    assert post(client, "/api/review", {"key": key, "verdict": "reject"}).status_code == 200
    corrected = post(client, "/api/review", {"key": key, "verdict": "correct",
                                             "fields": {"value": "7", "status": "target", "level": ""}})
    assert corrected.status_code == 200
    latest = stored_reviews(db)[-1]
    assert latest["verdict"] == "correct" and json.loads(latest["fields"])["value"] == 7.0
    assert post(client, "/api/undo", {"key": key}).json() == {"undone": True}
    assert [r["verdict"] for r in stored_reviews(db)] == ["reject"]


def test_bad_corrections_name_the_field(client, db):
    key = queue_key(client)
    for fields, word in [({"value": "nhiều"}, "value"), ({"status": "maybe"}, "status"),
                         ({"as_of": "30/6/2022"}, "as_of"), ({"quote": "x"}, "quote")]:
        answer = post(client, "/api/review", {"key": key, "verdict": "correct", "fields": fields})
        assert answer.status_code == 400 and word in answer.json()["error"]
    assert post(client, "/api/review", {"key": key, "verdict": "maybe"}).status_code == 400
    assert stored_reviews(db) == []


def test_state_changes_need_the_token_json_and_the_bound_host(client, db):
    key = queue_key(client)
    assert post(client, "/api/review", {"key": key, "verdict": "accept"}, token="forged").status_code == 403
    form = client.post("/api/review", data={"key": key, "verdict": "accept"}, headers={"X-Token": client.token})
    assert form.status_code == 403
    assert client.get("/api/review").status_code == 405
    assert client.get("/", headers={"Host": "attacker.example:8765"}).status_code == 400
    assert stored_reviews(db) == []


def test_each_browser_session_has_its_own_token(client, db):
    key = queue_key(client)
    app = client.app
    with TestClient(app, base_url="http://127.0.0.1:8765") as other:
        other_token = page_token(other)
        assert other_token != client.token and other.cookies["vnfacts_session"] != client.cookies["vnfacts_session"]
        # One session's token does not work with another session's cookie.
        assert post(other, "/api/review", {"key": key, "verdict": "accept"}, token=client.token).status_code == 403
    with TestClient(app, base_url="http://127.0.0.1:8765") as stranger:  # never loaded a page: no cookie
        answer = post(stranger, "/api/review", {"key": key, "verdict": "accept"}, token=client.token)
        assert answer.status_code == 403 and "session" in answer.json()["error"]
    assert stored_reviews(db) == []
    assert post(client, "/api/review", {"key": key, "verdict": "accept"}).status_code == 200
    assert page_token(client) == client.token  # the session keeps its token across pages


def test_hostile_text_is_escaped_everywhere(client, db):
    key = next(f["fact_key"] for f in all_facts(db) if f["doc"] == HOSTILE_ID)
    pages = [client.get("/review", params={"key": key}), client.get(f"/doc/{HOSTILE_ID}"),
             client.get("/", params={"site": "<b>site</b>"})]
    for page in pages:
        assert page.status_code == 200
        assert "<script>window" not in page.text and "<img src=x" not in page.text and "<b>site" not in page.text
        assert "default-src 'none'; script-src 'self'" in page.headers["content-security-policy"]
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in pages[1].text
    assert 'href="javascript:' not in pages[0].text + pages[1].text


def test_reviews_stay_attached_after_extract_all(client, db):
    keys = []
    for verdict in ["accept", "reject", "accept", "accept", "reject"]:
        keys.append(queue_key(client))
        assert post(client, "/api/review", {"key": keys[-1], "verdict": verdict}).status_code == 200
    with pipeline.connect(db) as con:
        report = pipeline.extract_pending(con, everything=True)
        assert report.documents > 10 and report.facts == len(all_facts(db))
        assert reviews.orphans(con) == []
        states = [reviews.fact_by_key(con, key)["review"] for key in keys]
    assert states == ["accept", "reject", "accept", "accept", "reject"]


def test_a_review_whose_fact_disappeared_is_listed(client, db):
    key = queue_key(client)
    post(client, "/api/review", {"key": key, "verdict": "accept"})
    with reviews.open_db(db) as con:  # what a regressed rule does: the fact no longer comes out
        con.execute(f"DELETE FROM facts f WHERE {reviews.key_sql('f')} = ?", [key])
    with reviews.open_db(db) as con:
        assert [r["fact_key"] for r in reviews.orphans(con)] == [key]
    assert f'data-key="{key}"' in client.get("/orphans").text
    assert "1 orphaned reviews" in client.get("/").text


def decide_document(client, db, doc: str, verdicts: list[str]) -> list[dict]:
    facts = sorted((f for f in all_facts(db) if f["doc"] == doc), key=lambda f: f["start"])
    unique = list({f["fact_key"]: f for f in facts}.values())
    for fact, verdict in zip(unique, verdicts * len(unique)):
        body = {"key": fact["fact_key"], "verdict": verdict}
        if verdict == "correct":
            body["fields"] = {"value": str((fact["value"] or 0) + 1000)}
        assert post(client, "/api/review", body).status_code == 200
    return unique


def test_export_gold_round_trips_through_eval(client, db, tmp_path):
    docs = sorted({f["doc"] for f in all_facts(db)})
    mixed = decide_document(client, db, docs[0], ["accept", "accept", "reject", "correct"])
    decide_document(client, db, docs[1], ["reject"])
    gold = tmp_path / "gold.jsonl"
    run_cli("export", "gold", "-o", gold, "--db", db)
    lines = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines()]
    assert {"doc": docs[1], "none": True} in lines
    verdicts = ["accept", "accept", "reject", "correct"] * len(mixed)
    kept = sum(v != "reject" for v in verdicts[:len(mixed)])
    assert sum(1 for line in lines if line["doc"] == docs[0]) == kept
    scores = json.loads(run_cli("eval", gold, "--json", "--db", db).stdout)
    expected = expected_scores(db, docs[:2], verdicts[:len(mixed)])
    assert (scores["overall"]["tp"], scores["overall"]["fp"], scores["overall"]["fn"]) == expected


def expected_scores(db, docs, verdicts) -> tuple[int, int, int]:
    """Every stored fact of the two documents is a prediction; accepted ones
    match their gold line, a corrected value matches nothing (one FP, one FN)."""
    rows = [f for f in all_facts(db) if f["doc"] in docs]
    accepted, corrected = verdicts.count("accept"), verdicts.count("correct")
    return accepted, len(rows) - accepted, corrected


def test_an_added_fact_is_stored_at_its_offsets_and_becomes_gold(client, db):
    with reviews.open_db(db) as con:
        text = reviews.document(con, MISSED_ID)["text"]
    start = text.index(MISSED_WORDS)
    assert not [f for f in all_facts(db) if f["doc"] == MISSED_ID]  # the rules miss it
    body = {"doc": MISSED_ID, "start": start + 3, "quote": MISSED_WORDS,  # offsets a little off
            "fields": {"indicator": "civil_servant", "value": "17", "level": "district"}}
    saved = post(client, "/api/add", body)
    assert saved.status_code == 200 and saved.json()["fact"]["start"] == start
    fact = json.loads(stored_reviews(db)[-1]["fact"])
    assert text[fact["start"]:fact["end"]] == MISSED_WORDS and fact["value"] == 17.0
    assert post(client, "/api/add", {**body, "quote": "không có trong bài"}).status_code == 400
    assert post(client, "/api/add", {**body, "fields": {"value": "17"}}).status_code == 400
    assert MISSED_WORDS in client.get(f"/doc/{MISSED_ID}").text.split('id="added"')[1]
    with reviews.open_db(db) as con:
        assert reviews.orphans(con) == []
    gold = io.StringIO()  # what `vnfacts export gold` writes (its command is run in the round trip above)
    with reviews.open_db(db) as con:
        write_gold(con, gold)
    [line] = [json.loads(x) for x in gold.getvalue().splitlines()]
    assert line == {"doc": MISSED_ID, "indicator": "civil_servant", "value": 17.0, "change": "count",
                    "status": "achieved", "level": "district", "quote": MISSED_WORDS}


def test_the_archived_copy_is_served_sandboxed(client, db, tmp_path):
    from pipeline.crawl.archive import WarcArchive

    archive = WarcArchive(tmp_path, "test")
    page = "<html><body><p>Bản lưu: giảm 25 xã</p><script>window.__pwned=4</script></body></html>".encode()
    pointer = archive.write_response("https://example.test/a", 200, "OK",
                                     [("Content-Type", "text/html; charset=utf-8")], page)
    archive.close()
    with reviews.open_db(db) as con:
        con.execute("UPDATE documents SET source = ? WHERE id = ?", [pointer, HOSTILE_ID])
    shown = client.get(f"/archive/{HOSTILE_ID}")
    assert shown.status_code == 200 and shown.content == page
    assert shown.headers["content-security-policy"].startswith("sandbox; default-src 'none'")
    assert f'href="/archive/{HOSTILE_ID}"' in client.get(f"/doc/{HOSTILE_ID}").text
    assert client.get(f"/archive/{MISSED_ID}").status_code == 404


def test_confidence_bands_are_a_facet(client, db):
    with reviews.open_db(db) as con:
        con.execute("UPDATE facts SET confidence = CASE WHEN value > 20 THEN 0.9 ELSE 0.3 END WHERE value IS NOT NULL")
        counts = dict(reviews.facet_counts(con, {})["confidence"])
        high = con.execute("SELECT count(*) FROM facts WHERE confidence >= 0.8").fetchall()[0][0]
    assert counts["high (>=0.8)"] == high > 0
    assert f'<span id="total">{high}</span>' in client.get("/", params={"confidence": "high (>=0.8)"}).text


def test_chart_data_follows_the_filters_and_answers_as_csv(client, db):
    facts = all_facts(db)
    heat = client.get("/charts/heat.json").json()["rows"]
    assert sum(r["facts"] for r in heat) == len(facts)
    province = max({f["province"] for f in facts if f["province"]}, key=lambda p: sum(f["province"] == p for f in facts))
    narrowed = client.get("/charts/heat.json", params={"province": province}).json()["rows"]
    assert {r["province"] for r in narrowed} == {province}
    assert sum(r["facts"] for r in narrowed) == sum(f["province"] == province for f in facts)
    shares = client.get("/charts/reviewed.json").json()["rows"]
    assert {r["review"] for r in shares} == {"unreviewed"}
    series = client.get("/charts/series.json", params={"indicator": "admin_unit"}).json()
    dated = [f for f in facts if f["indicator"] == "admin_unit" and f["as_of"] and (f["value"] or f["percent"])]
    assert series["indicator"] == "admin_unit" and len(series["rows"]) == len(dated)
    table = client.get("/charts/heat.csv", params={"province": province})
    assert table.headers["content-type"].startswith("text/csv")
    lines = table.text.strip().splitlines()
    assert lines[0] == "province,indicator,facts" and len(lines) == len(narrowed) + 1
    assert client.get("/charts/nope.json").status_code == 404
    assert client.get("/vendor/plotly.min.js").content.lstrip().startswith(b"/**")


def test_chart_csv_keeps_formulas_from_scraped_text_inert(client, db):
    with reviews.open_db(db) as con:
        con.execute("UPDATE facts SET quote = '=HYPERLINK(\"http://x.test\")' WHERE doc = ?", [HOSTILE_ID])
    table = client.get("/charts/series.csv", params={"indicator": "admin_unit", "province": "Đắk Nông"}).text
    assert "'=HYPERLINK" in table and ",=HYPERLINK" not in table


def test_charts_page_loads_plotly_from_this_server(client):
    page = client.get("/charts", params={"status": "target"})
    assert '<script src="/vendor/plotly.min.js"' in page.text and "cdn" not in page.text.lower()
    assert 'data-url="/charts/heat.json?status=target"' in page.text
    assert "script-src 'self';" in page.headers["content-security-policy"]


WRITER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("UPDATE documents SET title = title")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_page_waits_while_another_process_writes(client, db):
    client.get("/")  # the reviews table exists before the other process takes the file
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), "1.0"], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "locked"
        started = time.monotonic()
        page = client.get("/")
        waited = time.monotonic() - started
    finally:
        writer.wait(timeout=20)
    assert page.status_code == 200 and 'id="facts"' in page.text
    assert waited > 0.3  # it did meet the lock, and waited it out


def test_a_writer_holding_the_database_too_long_gives_503_not_a_traceback(db, monkeypatch):
    import pipeline.store.db

    # store.connect's own wait for a lock (where it has one), shortened like the page's
    monkeypatch.setattr(pipeline.store.db, "LOCK_WAIT", 0.2, raising=False)
    app = create_app(db, reviewer="tester", wait=0.3, idle=0)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        token = page_token(client)
        # the writer would hold the file far longer than both requests wait; it is killed once they answered
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), "30.0"], stdout=subprocess.PIPE, text=True)
        try:
            assert writer.stdout.readline().strip() == "locked"
            page = client.get("/review")
            answer = client.post("/api/review", json={"key": "0" * 16, "verdict": "accept"},
                                 headers={"X-Token": token})
        finally:
            writer.kill()
            writer.wait(timeout=20)
        assert page.status_code == 503 and 'id="busy"' in page.text and str(db) in page.text
        assert answer.status_code == 503 and "another process" in answer.json()["error"]
        assert client.get("/review").status_code == 200  # and back once the writer is gone


# Another process that tries the file each time it reads a line.
OPENER = """
import sys, duckdb
for line in sys.stdin:
    try:
        duckdb.connect(sys.argv[1]).close()
        print("opened", flush=True)
    except duckdb.IOException:
        print("locked", flush=True)
"""


def test_the_connection_is_shared_while_requests_come_and_freed_when_they_stop(db):
    app = create_app(db, reviewer="tester", idle=1.5)
    pool = app.state.site.pool
    other = subprocess.Popen([sys.executable, "-c", OPENER, str(db)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)

    def other_tries() -> str:
        other.stdin.write("try\n")
        other.stdin.flush()
        return other.stdout.readline().strip()

    try:
        with TestClient(app, base_url="http://127.0.0.1:8765") as client:
            client.token = page_token(client)
            assert post(client, "/api/review", {"key": queue_key(client), "verdict": "accept"}).status_code == 200
            assert pool.is_open() and other_tries() == "locked"  # held between quick requests
            idle_since = time.monotonic()
            while pool.is_open() and time.monotonic() - idle_since < 10:
                time.sleep(0.05)
            assert not pool.is_open() and other_tries() == "opened"  # freed when they stop
            assert client.get("/review").status_code == 200 and pool.is_open()
        assert not pool.is_open()  # and closed when the server stops
    finally:
        other.stdin.close()
        other.wait(timeout=10)


def test_the_command_line_does_not_load_the_web_stack():
    code = "import sys, pipeline.cli.main; print(sorted(m for m in ('starlette', 'uvicorn', 'jinja2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout
    assert out.strip() == "[]"


def test_vnfacts_serve_binds_loopback_and_serves_the_facts(tmp_path):
    db, port = copy_db(tmp_path), free_port()
    server = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "serve", "--db", str(db), "--port",
                               str(port)], cwd=REPO, stderr=subprocess.PIPE, text=True)
    try:
        page = wait_for(f"http://127.0.0.1:{port}/", server)
        assert 'id="facts"' in page and f'<span id="total">{len(all_facts(db))}</span>' in page
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_for(url: str, server: subprocess.Popen, seconds: float = 60) -> str:
    """The page at url once the server answers; its stderr if it died first."""
    import httpx

    deadline = time.monotonic() + seconds
    while True:
        if server.poll() is not None:
            raise AssertionError(f"vnfacts serve exited {server.returncode}:\n{server.stderr.read()}")
        try:
            return httpx.get(url, timeout=5).text
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
