"""The nightly run: crawl the sites in a child process, store new documents,
extract their facts, and summarise per site. The CLI and the demo call it."""
from __future__ import annotations

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
    summary.exit_code = crawl_in_subprocess(_child_config(config, sites), echo=echo)
    _finish(config, {s.name: s for s in sites}, extract, summary, echo)
    return summary


def _child_config(config: CrawlConfig, sites) -> CrawlConfig:
    child = CrawlConfig(**{**config.__dict__})
    child.names = [s.name for s in sites]
    return child


def _finish(config, sites: dict, extract: bool, summary: RunSummary, echo) -> None:
    """Store, extract and count, each opening the database per batch
    (store.Database), so queries get in between (issue 9)."""
    db = Database(config.db)
    reports = store_fetched(db, sites, config.run_id)
    facts = _extract(db, list(sites), echo) if extract else {}
    status = "done" if summary.exit_code == 0 else "crashed"
    with session(db) as con:
        for name in sites:
            report = reports.get(name)
            added = report.added + report.updated if report else 0
            summary.errors += report.errors if report else []
            state.record_results(con, config.run_id, name, added,
                                 facts.get(name, 0) if extract else None, status)
        summary.sites = state.run_rows(con, config.run_id)


def _extract(db, sites: list[str], echo) -> dict[str, int]:
    """Extract every pending document; the facts counted per site are those of
    the documents extracted now, whichever run stored them (a `vnfacts crawl`)."""
    echo("extracting facts from new documents")
    with session(db, read_only=True) as con:
        before = state.extraction_versions(con, sites)
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
