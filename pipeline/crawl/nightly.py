"""The nightly run: crawl the sites in a child process, store new documents,
extract their facts, and summarise per site. The CLI and the demo call it.

Everything but the crawl happens while it runs (issue 11): the parent loads
the rule set and the models while the child starts (Scrapy's import), stores
and extracts what was fetched every PASS_EVERY seconds, and starts its last
pass when the child says its state is committed (process.STATE_WRITTEN), so
little is left after the last request. VNFACTS_TIMELINE=FILE records when
each step happened (crawl/timeline.py; `vnfacts bench --paths` prints it)."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

import click

import pipeline
from pipeline import store
from pipeline.crawl.ingest import store_fetched
from pipeline.crawl.process import crawl_in_subprocess
from pipeline.crawl.settings import CrawlConfig
from pipeline.crawl.sites import load_sites
from pipeline.crawl.timeline import mark
from pipeline.store import Database, connect, session
from pipeline.store import crawlstate as state

PASS_EVERY = 0.5  # seconds between store (and extract) passes during the crawl
SMALL_PASS = 20   # articles (and documents pending extraction) a pass handles in one session
LAST_PASS = 4     # times more in the last pass's session: the crawl has let go of the file by then
# Extracted once while the crawl child starts, so the segmenter, the gazetteer
# and the cleaner are loaded before the first pages come (my own sentence).
WARM_PAGE = ("<html><head><title>Sắp xếp bộ máy</title></head><body><article><p>Năm 2024, huyện A đã "
             "giảm 12 biên chế so với năm 2023.</p></article></body></html>")


@dataclass
class RunSummary:
    run_id: str
    sites: dict = field(default_factory=dict)   # name -> counts
    errors: list = field(default_factory=list)  # site file and ingest problems
    exit_code: int = 0

    def total(self, key: str) -> int:
        return sum((row.get(key) or 0) for row in self.sites.values())


@dataclass
class Passes:
    """What the run's store passes share: the parent stores and extracts what
    the crawl child has fetched every PASS_EVERY seconds while it runs."""
    config: CrawlConfig
    sites: dict                                   # name -> Site
    extract: bool
    after_pass: object = None                     # after_pass(db or connection), after a pass that stored
    before: dict = field(default_factory=dict)    # doc -> rules version when first seen (facts_extracted)
    reports: dict = field(default_factory=dict)   # site -> IngestReport
    ruleset: object = None
    db: Database | None = None
    # documents stopped by their time budget in this run: not tried again at
    # every pass (15 CPU s each); they stay pending for `vnfacts extract`
    stopped: set = field(default_factory=set)

    def step(self, last: bool = False) -> None:
        """Store, extract and link what the crawl fetched since the last pass
        (the last pass: extract whatever is pending). A small pass, the usual
        one as the pages come in, runs in one session: each open of the file
        costs ~50 ms, and seven of them made every pass (and the last) slow."""
        mark("parent: pass")
        small = SMALL_PASS * (LAST_PASS if last else 1)
        with session(self.db) as con:
            rows = state.unstored_articles(con, list(self.sites))
            if len(rows) <= small and self._pending(con) <= small:
                return self._work(con, rows, last)
        self._work(self.db, rows, last)

    def _pending(self, con) -> int:
        if not self.extract or self.ruleset is None:
            return 0
        return len(store.pending_ids(con, self.ruleset.version))

    def _work(self, target, rows: list, last: bool) -> None:
        """`target`: the open connection of a small pass, or the Database (a session per batch)."""
        if rows:
            self.store(target, rows)
        elif not last:
            return
        if self.extract and (last or self.ruleset is not None):
            report = pipeline.extract_pending(target, ruleset=self.ruleset, skip=self.stopped)
            self.stopped.update(doc for doc, _ in report.stopped)
            mark("parent: extracted")
        if rows and not last and self.after_pass is not None:
            self.after_pass(target)

    def store(self, target, rows: list) -> None:
        """Store `rows`; the new documents' ids are noted (not yet extracted) in `before`."""
        stored: set = set()
        _merge(self.reports, store_fetched(target, self.sites, self.config.run_id, stored, rows))
        for doc in stored:
            self.before.setdefault(doc, None)
        mark(f"parent: stored {len(stored)}")


def new_run_id() -> str:
    return datetime.now().strftime("%Y%m%dT%H%M%S%f")


def nightly(config: CrawlConfig, extract: bool = True, echo=click.echo, after_pass=None,
            warm_up=None) -> RunSummary:
    """Crawl the sites, store new documents and (if extract) extract their facts,
    as the pages come in. `after_pass(target)`, if given, runs after each pass
    that stored documents while the crawl runs, with the pass's open connection
    or store.Database (the CLI finds copies there); `warm_up()`, if given, once
    with the models' loading, while the child starts (what after_pass imports).
    Its many short sessions reuse DuckDB instances (store/instances.py)."""
    with store.reused_instances():
        return _nightly(config, extract, echo, after_pass, warm_up)


def _nightly(config: CrawlConfig, extract: bool, echo, after_pass, warm_up) -> RunSummary:
    mark("parent: nightly starts")
    config.run_id = config.run_id or new_run_id()
    sites, errors = load_sites(config.sites_dir, config.names)
    summary = RunSummary(config.run_id, errors=[str(e) for e in errors])
    for error in errors:
        echo(f"site file error: {error}", err=True)
    if not sites:
        summary.exit_code = 1 if errors else 0
        return summary
    run = Passes(config, {s.name: s for s in sites}, extract, after_pass)
    run.before = _open_run(config, list(run.sites))  # a file that cannot be opened fails here, before the child
    echo(f"run {config.run_id}: crawling {len(sites)} site(s)")
    written = threading.Event()
    crawl = threading.Thread(target=_crawl, args=(config, sites, summary, echo, written), name="crawl-child")
    crawl.start()
    run.db = Database(config.db)
    run.ruleset = _warm(run.db) if extract else None  # while the child starts (Scrapy's import) and crawls
    if warm_up is not None:
        warm_up()
    while not written.is_set():  # a pass at once: pages have been coming in while the models loaded
        run.step()
        written.wait(PASS_EVERY)
    _last_pass(run, echo)  # the child may still be closing its WARC file meanwhile
    crawl.join()
    _finish(run, summary)
    return summary


def _open_run(config: CrawlConfig, sites: list[str]) -> dict:
    """The run's rows, and how the sites' documents stand (`before`), in one
    connection, closed before the crawl process starts: it needs the file."""
    with connect(config.db) as con:
        state.ensure_schema(con)
        state.start_run(con, config.run_id, sites)
        return state.extraction_versions(con, sites)


def _warm(db: Database):
    """The rule set, with the models extraction and cleaning load on first use
    (and what the store's reads of documents import); None if the rules do
    not load (the final extraction then says why)."""
    with session(db, read_only=True) as con:
        store.documents_by_id(con, [])
    try:
        ruleset = pipeline.load_ruleset()
        pipeline.extract_document(pipeline.prepare({"id": "warm-up", "html": WARM_PAGE}), ruleset)
    except Exception:  # noqa: BLE001 (reported where it was before: at the extraction after the crawl)
        return None
    mark("parent: models loaded")
    return ruleset


def _crawl(config: CrawlConfig, sites, summary: RunSummary, echo, written: threading.Event) -> None:
    mark("parent: starts the crawl child")
    try:
        summary.exit_code = crawl_in_subprocess(_child_config(config, sites), echo=echo, written=written)
    finally:
        written.set()  # a child that died before saying so: its state is what it is
        mark("parent: crawl child exited")


def _merge(reports: dict, more: dict) -> None:
    for name, report in more.items():
        if name not in reports:
            reports[name] = report
            continue
        reports[name].add((report.added, report.updated, report.unchanged))
        reports[name].errors += report.errors


def _child_config(config: CrawlConfig, sites) -> CrawlConfig:
    child = CrawlConfig(**{**config.__dict__})
    child.names = [s.name for s in sites]
    return child


def _last_pass(run: Passes, echo) -> None:
    """The pages fetched after the last pass, then every document pending
    extraction (an earlier `vnfacts crawl` stores without extracting)."""
    mark("parent: last pass")
    if run.extract:
        echo("extracting facts from new documents")
    run.step(last=True)
    mark("parent: last pass done")


def _finish(run: Passes, summary: RunSummary) -> None:
    """Count and record per site, in one session. The facts counted are those
    of the documents extracted in this run (`before` is how things stood at
    its start), whichever run stored them (a `vnfacts crawl`)."""
    status = "done" if summary.exit_code == 0 else "crashed"
    with session(run.db) as con:
        facts = state.facts_extracted(con, run.before) if run.extract else {}
        for name in run.sites:
            report = run.reports.get(name)
            added = report.added + report.updated if report else 0
            summary.errors += report.errors if report else []
            state.record_results(con, run.config.run_id, name, added,
                                 facts.get(name, 0) if run.extract else None, status)
        summary.sites = state.run_rows(con, run.config.run_id)
    mark("parent: run recorded")


def print_summary(summary: RunSummary, echo=click.echo) -> None:
    echo(f"\nrun {summary.run_id}")
    echo(f"{'site':<24}{'found':>7}{'fetched':>9}{'new docs':>10}{'facts':>7}{'failed':>8}")
    for name, row in summary.sites.items():
        failed = sum(row["failures"].values())
        echo(f"{name:<24}{row['discovered'] or 0:>7}{row['fetched'] or 0:>9}"
             f"{row['new_documents'] or 0:>10}{row['facts'] if row['facts'] is not None else '-':>7}{failed:>8}")
    echo(f"{'total':<24}{summary.total('discovered'):>7}{summary.total('fetched'):>9}"
         f"{summary.total('new_documents'):>10}{summary.total('facts'):>7}")
    for error in summary.errors[:20]:
        echo(f"  problem: {error}")
