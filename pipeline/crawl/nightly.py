"""The nightly run: crawl the sites in a child process, store new documents,
extract their facts, and summarise per site. The CLI and the demo call it."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

import click

import pipeline
from pipeline.crawl.ingest import store_fetched
from pipeline.crawl.process import crawl_in_subprocess
from pipeline.crawl.settings import CrawlConfig
from pipeline.crawl.sites import load_sites
from pipeline.store import Database, connect, session
from pipeline.store import crawlstate as state

STORE_EVERY = 3.0  # seconds between store (and extract) passes during the crawl


@dataclass
class RunSummary:
    run_id: str
    sites: dict = field(default_factory=dict)   # name -> counts
    errors: list = field(default_factory=list)  # site file and ingest problems
    exit_code: int = 0

    def total(self, key: str) -> int:
        return sum((row.get(key) or 0) for row in self.sites.values())


def new_run_id() -> str:
    return datetime.now().strftime("%Y%m%dT%H%M%S%f")


def nightly(config: CrawlConfig, extract: bool = True, echo=click.echo) -> RunSummary:
    """Crawl the sites, store new documents and (if extract) extract their facts."""
    config.run_id = config.run_id or new_run_id()
    sites, errors = load_sites(config.sites_dir, config.names)
    summary = RunSummary(config.run_id, errors=[str(e) for e in errors])
    for error in errors:
        echo(f"site file error: {error}", err=True)
    if not sites:
        summary.exit_code = 1 if errors else 0
        return summary
    con = connect(config.db)
    state.ensure_schema(con)
    state.start_run(con, config.run_id, [s.name for s in sites])
    con.close()  # the crawl process needs the database to itself
    echo(f"run {config.run_id}: crawling {len(sites)} site(s)")
    by_name = {s.name: s for s in sites}
    before = _note_versions(Database(config.db), list(by_name), {})
    crawl = threading.Thread(target=_crawl, args=(config, sites, summary, echo), name="crawl-child")
    crawl.start()
    reports = _while_crawling(crawl, config, by_name, extract, before)
    _finish(config, by_name, extract, summary, echo, reports, before)
    return summary


def _crawl(config: CrawlConfig, sites, summary: RunSummary, echo) -> None:
    summary.exit_code = crawl_in_subprocess(_child_config(config, sites), echo=echo)


def _while_crawling(crawl: threading.Thread, config, sites: dict, extract: bool, before: dict) -> dict:
    """Store (and extract) what the crawl has fetched so far, every STORE_EVERY
    seconds, while it goes on: a polite crawl spends most of its time waiting,
    and the pages need not wait for its end. The crawl holds the database only
    in short leases (writer.StateLease), so both get their turns."""
    reports: dict = {}
    db = Database(config.db)
    while crawl.is_alive():
        crawl.join(STORE_EVERY)
        if crawl.is_alive():
            _merge(reports, store_fetched(db, sites, config.run_id))
            if extract:
                _note_versions(db, list(sites), before)
                pipeline.extract_pending(db)
    return reports


def _note_versions(db, sites: list[str], before: dict) -> dict:
    """Add the documents not seen yet, with their rules version, to `before`:
    what state.facts_extracted compares with to count this run's facts."""
    with session(db, read_only=True) as con:
        for doc, version in state.extraction_versions(con, sites).items():
            before.setdefault(doc, version)
    return before


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


def _finish(config, sites: dict, extract: bool, summary: RunSummary, echo, reports: dict, before) -> None:
    """Store and extract the rest, and count, each opening the database per
    batch (store.Database), so queries get in between (issue 9)."""
    db = Database(config.db)
    _merge(reports, store_fetched(db, sites, config.run_id))
    facts = _extract(db, list(sites), echo, _note_versions(db, list(sites), before)) if extract else {}
    status = "done" if summary.exit_code == 0 else "crashed"
    with session(db) as con:
        for name in sites:
            report = reports.get(name)
            added = report.added + report.updated if report else 0
            summary.errors += report.errors if report else []
            state.record_results(con, config.run_id, name, added,
                                 facts.get(name, 0) if extract else None, status)
        summary.sites = state.run_rows(con, config.run_id)


def _extract(db, sites: list[str], echo, before) -> dict[str, int]:
    """Extract every pending document; the facts counted per site are those of
    the documents extracted in this run (`before` is how things stood at its
    start), whichever run stored them (a `vnfacts crawl`)."""
    echo("extracting facts from new documents")
    pipeline.extract_pending(db)
    with session(db, read_only=True) as con:
        return state.facts_extracted(con, before)


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
