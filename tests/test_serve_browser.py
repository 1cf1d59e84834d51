"""The review page in a real browser: Debian's headless Chromium driven by
Selenium against uvicorn on 127.0.0.1 and a real DuckDB file; every check is
on what the database then holds or what the page ran.

Needs `apt-get install -y chromium chromium-driver` (.ci/run installs them);
without them these tests skip and say so."""
from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import time
from pathlib import Path

import pytest
from servekit import HOSTILE_ID, MISSED_ID, MISSED_WORDS, Server, copy_db

import pipeline
from pipeline.serve.gold import write_gold
from pipeline.store import reviews

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
selenium = pytest.importorskip("selenium", reason="selenium is a test dependency: pip install -e '.[test]'")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver: apt-get update && apt-get install -y chromium chromium-driver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,900"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where screenshots of the pages go: $VNFACTS_SCREENSHOTS, else a temporary folder."""
    folder = Path(os.environ.get("VNFACTS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture()
def served(tmp_path):
    db = copy_db(tmp_path)
    with Server(db) as server, reviews.open_db(db) as con:
        server.db, server.con = db, con
        yield server


def press(browser, key: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).send_keys(key).perform()


def current_key(browser) -> str:
    from selenium.webdriver.common.by import By

    return wait(lambda: browser.find_element(By.ID, "review").get_attribute("data-key"))


def wait(probe, seconds: float = 10, pause: float = 0.002):
    """probe() until it returns something true (a missing element counts as not yet)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = probe()
        except Exception:  # selenium's NoSuchElement / StaleElement while a page loads
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {probe}")
        time.sleep(pause)


def console_errors(browser) -> list[dict]:
    """SEVERE console entries since the last call (reading the log empties it);
    a favicon request still on its way to an earlier test's server is not ours."""
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]


def decisions(con, key: str) -> list[tuple]:
    return con.execute("SELECT verdict, fields, reviewer FROM reviews WHERE fact_key = ? ORDER BY id",
                       [key]).fetchall()


def open_review(browser, served, query: str = "") -> str:
    browser.get(f"{served.url}/review{query}")
    return current_key(browser)


def test_100_facts_by_keyboard_each_decision_in_the_database_under_200_ms(browser, served, shots):
    """A reviewer's run: 100 facts, one key each (a accept, x reject, space skip)."""
    plan = ["x" if i % 5 == 4 else " " if i % 7 == 6 else "a" for i in range(100)]
    timings, expected = [], {}
    key = open_review(browser, served)
    for i, press_key in enumerate(plan):
        started = time.perf_counter()
        press(browser, press_key)
        if press_key != " ":
            expected[key] = "reject" if press_key == "x" else "accept"
            wait(lambda k=key: decisions(served.con, k))
            timings.append(time.perf_counter() - started)
        if i == 40:
            browser.save_screenshot(str(shots / "review.png"))
        if i < len(plan) - 1:
            key = wait(lambda k=key: (found := current_key(browser)) != k and found)
    stored = dict(served.con.execute("SELECT fact_key, verdict FROM reviews").fetchall())
    assert stored == expected and len(stored) == plan.count("a") + plan.count("x")
    median, p90 = statistics.median(timings), statistics.quantiles(timings, n=10)[-1]
    print(f"{len(timings)} decisions, key -> row in reviews: median {median * 1000:.0f} ms, "
          f"p90 {p90 * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms")
    assert p90 < 0.2  # nine decisions in ten (the machine is shared; the worst is printed)


def test_reject_edit_and_undo_from_the_keyboard(browser, served):
    from selenium.webdriver.common.by import By

    first = open_review(browser, served)
    press(browser, "x")
    second = wait(lambda: (found := current_key(browser)) != first and found)
    assert decisions(served.con, first) == [("reject", None, "tester")]
    press(browser, "e")
    value = wait(lambda: browser.find_element(By.CSS_SELECTOR, "#edit input[name=value]"))
    assert value.is_displayed()
    value.clear()
    value.send_keys("4321\n")
    wait(lambda: decisions(served.con, second))
    assert decisions(served.con, second) == [("correct", '{"value": 4321.0}', "tester")]
    third = wait(lambda: (found := current_key(browser)) != second and found)
    press(browser, "u")
    wait(lambda: not decisions(served.con, second))
    assert wait(lambda: current_key(browser) == second)
    assert decisions(served.con, first) == [("reject", None, "tester")] and third != second


def test_a_decision_made_in_the_page_survives_extract_all(browser, served):
    from selenium.webdriver.common.by import By

    key = open_review(browser, served)
    press(browser, "x")
    wait(lambda: decisions(served.con, key))
    report = pipeline.extract_pending(served.con, everything=True)
    assert report.documents > 10
    browser.get(f"{served.url}/review?key={key}")
    assert browser.find_element(By.ID, "state").text == "reject"
    browser.get(f"{served.url}/orphans")
    assert "every review is attached" in browser.find_element(By.ID, "orphans").text


def test_space_skips_without_deciding(browser, served):
    first = open_review(browser, served)
    press(browser, " ")
    assert wait(lambda: (found := current_key(browser)) != first and found)
    assert served.con.execute("SELECT count(*) FROM reviews").fetchall() == [(0,)]


def test_a_facet_filters_the_table(browser, served, shots):
    from selenium.webdriver.common.by import By

    browser.get(served.url + "/")
    link = browser.find_element(By.CSS_SELECTOR, '.facet[data-facet="indicator"] li a')
    indicator = link.get_attribute("data-value")
    link.click()
    wait(lambda: indicator in browser.current_url)
    cells = browser.find_elements(By.CSS_SELECTOR, "#facts tbody tr td:nth-child(2)")
    total = int(browser.find_element(By.ID, "total").text)
    expected = served.con.execute("SELECT count(*) FROM facts WHERE indicator = ?", [indicator]).fetchall()[0][0]
    assert total == expected and len(cells) == min(expected, 50)
    assert {cell.text for cell in cells} == {indicator}
    browser.save_screenshot(str(shots / "browse.png"))


def test_scripts_in_a_scraped_page_never_run(browser, served):
    key = served.con.execute(f"SELECT {reviews.key_sql('f')} FROM facts f WHERE doc = ? LIMIT 1",
                             [HOSTILE_ID]).fetchall()[0][0]
    console_errors(browser)
    for path in [f"/review?key={key}", f"/doc/{HOSTILE_ID}", "/?site=%3Cb%3Esite%3C%2Fb%3E"]:
        browser.get(served.url + path)
        wait(lambda: browser.execute_script("return document.readyState") == "complete")
        assert browser.execute_script("return [window.__pwned, window.__pwned_url]") == [None, None]
        if "site" not in path:  # the markup is shown as text
            assert "<script>window.__pwned=1</script>" in browser.find_element("tag name", "body").text
    assert console_errors(browser) == []


SELECT_WORDS = """
const [words] = arguments;
const walker = document.createTreeWalker(document.getElementById("document"), NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const at = node.textContent.indexOf(words);
  if (at < 0) continue;
  const range = document.createRange();
  range.setStart(node, at); range.setEnd(node, at + words.length);
  const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
  return true;
}
return false;
"""


def test_a_missed_fact_is_added_from_a_selection(browser, served):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(f"{served.url}/doc/{MISSED_ID}")
    assert browser.execute_script(SELECT_WORDS, MISSED_WORDS)
    press(browser, "n")
    form = wait(lambda: (f := browser.find_element(By.ID, "add")).is_displayed() and f)
    assert browser.find_element(By.ID, "add-quote").text == MISSED_WORDS
    Select(form.find_element(By.NAME, "indicator")).select_by_value("civil_servant")
    form.find_element(By.NAME, "value").send_keys("17\n")
    row = wait(lambda: served.con.execute("SELECT verdict, fact FROM reviews").fetchall())
    text = served.con.execute("SELECT text FROM documents WHERE id = ?", [MISSED_ID]).fetchall()[0][0]
    [(verdict, fact)] = row
    fact = json.loads(fact)
    assert verdict == "add" and (fact["indicator"], fact["value"]) == ("civil_servant", 17.0)
    assert text[fact["start"]:fact["end"]] == MISSED_WORDS == fact["quote"]
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#added tr[data-key]"))
    gold = io.StringIO()
    write_gold(served.con, gold)
    assert json.loads(gold.getvalue()) == {"doc": MISSED_ID, "indicator": "civil_servant", "value": 17.0,
                                           "change": "count", "status": "achieved", "quote": MISSED_WORDS}
    press(browser, "u")  # undo takes the added fact back
    wait(lambda: served.con.execute("SELECT count(*) FROM reviews").fetchall() == [(0,)])


def test_the_archived_copy_runs_no_script(browser, served, tmp_path):
    from pipeline.crawl.archive import WarcArchive

    archive = WarcArchive(tmp_path, "browser")
    page = b"<html><body><p id=archived>Ban luu</p><script>window.__pwned=5</script><img src=x onerror=window.__pwned=6></body></html>"
    pointer = archive.write_response("https://example.test/a", 200, "OK", [("Content-Type", "text/html")], page)
    archive.close()
    served.con.execute("UPDATE documents SET source = ? WHERE id = ?", [pointer, HOSTILE_ID])
    browser.get(f"{served.url}/archive/{HOSTILE_ID}")
    assert browser.find_element("id", "archived").text == "Ban luu"
    assert browser.execute_script("return [window.__pwned, 1 + 1]") == [None, 2]  # the probe itself runs


def test_charts_are_drawn_and_follow_a_facet(browser, served, shots):
    from selenium.webdriver.common.by import By

    console_errors(browser)
    browser.get(served.url + "/charts")
    drawn = wait(lambda: [e.get_attribute("data-drawn") for e in browser.find_elements(By.CSS_SELECTOR, "[data-chart]")
                          if e.get_attribute("data-drawn")] == ["true"] * 3)
    assert drawn and len(browser.find_elements(By.CSS_SELECTOR, "#chart-heat svg.main-svg")) >= 1
    total = served.con.execute("SELECT count(*) FROM facts").fetchall()[0][0]
    assert int(browser.find_element(By.ID, "chart-heat").get_attribute("data-facts")) == total
    browser.save_screenshot(str(shots / "charts.png"))
    link = browser.find_element(By.CSS_SELECTOR, '.facet[data-facet="status"] a[data-value="target"]')
    link.click()
    wait(lambda: "status=target" in browser.current_url)
    heat = wait(lambda: (e := browser.find_element(By.ID, "chart-heat")).get_attribute("data-drawn") == "true" and e)
    targets = served.con.execute("SELECT count(*) FROM facts WHERE status = 'target'").fetchall()[0][0]
    assert int(heat.get_attribute("data-facts")) == targets < total
    assert console_errors(browser) == []
