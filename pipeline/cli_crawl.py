"""Commands `crawl`, `run` (the nightly one) and `status`.

`register(group)` adds them to the main click group (pipeline/cli.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click

from pipeline import crawlstate as state
from pipeline.crawl import CrawlConfig, crawl_in_subprocess
from pipeline.crawl_ingest import store_fetched
from pipeline.sites import DEFAULT_SITES_DIR, load_sites
from pipeline.store import DEFAULT_DB, connect


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
    con = connect(config.db)
    try:
        reports = store_fetched(con, sites, config.run_id)
        if extract:
            echo("extracting facts from new documents")
            from pipeline.core import extract_pending  # the lead's module
            extract_pending(con)
        facts = state.facts_by_site(con, config.run_id) if extract else {}
        status = "done" if summary.exit_code == 0 else "crashed"
        for name in sites:
            report = reports.get(name)
            added = report.added + report.updated if report else 0
            summary.errors += report.errors if report else []
            state.record_results(con, config.run_id, name, added,
                                 facts.get(name, 0) if extract else None, status)
        summary.sites = _rows(con, config.run_id)
    finally:
        con.close()


def _rows(con, run_id: str) -> dict:
    rows = con.execute(
        "SELECT site, discovered, fetched, new_documents, failures, facts FROM runs "
        "WHERE run_id = ? ORDER BY site", [run_id]).fetchall()
    keys = ("discovered", "fetched", "new_documents", "failures", "facts")
    return {r[0]: dict(zip(keys, (r[1], r[2], r[3], json.loads(r[4] or "{}"), r[5]))) for r in rows}


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


# --- click --------------------------------------------------------------------

def crawl_options(func):
    options = [
        click.argument("site", nargs=-1),
        click.option("--db", "db", default=str(DEFAULT_DB), show_default=True, help="DuckDB database."),
        click.option("--sites", "sites_dir", default=str(DEFAULT_SITES_DIR), show_default=True,
                     help="Folder of site files."),
        click.option("--corpus", default="corpus", show_default=True,
                     help="Folder whose warc/ subfolder receives the archive."),
        click.option("--since", default=None, metavar="YYYY-MM-DD",
                     help="Only articles a feed or sitemap dates on or after this day."),
        click.option("--timeout", default=30.0, show_default=True, help="Seconds per download."),
        click.option("--max-size", default=5 * 1024 * 1024, show_default=True,
                     help="Largest response in bytes."),
        click.option("--retries", default=2, show_default=True, help="Retries per request."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _config(site, db, sites_dir, corpus, since, timeout, max_size, retries) -> CrawlConfig:
    if since:
        datetime.strptime(since, "%Y-%m-%d")  # fail early on a bad date
    return CrawlConfig(db=db, sites_dir=sites_dir, corpus=corpus, since=since, timeout=timeout,
                       max_size=max_size, retries=retries, names=list(site))


@click.command("crawl")
@crawl_options
def crawl_cmd(**options):
    """Crawl sites (all, or the named SITEs), archive to WARC, store new documents."""
    summary = nightly(_config(**options), extract=False)
    print_summary(summary)
    raise SystemExit(summary.exit_code)


@click.command("run")
@crawl_options
def run_cmd(**options):
    """Nightly run: crawl, archive, clean, extract and load, with a summary."""
    summary = nightly(_config(**options), extract=True)
    print_summary(summary)
    raise SystemExit(summary.exit_code)


@click.command("status")
@click.option("--db", default=str(DEFAULT_DB), show_default=True, help="DuckDB database.")
@click.option("--runs", "limit", default=5, show_default=True, help="How many recent runs.")
def status_cmd(db: str, limit: int):
    """Recent runs per site; flags sites whose yield dropped to zero."""
    if not Path(db).exists():
        raise click.ClickException(f"no database at {db}")
    con = connect(db, read_only=True)
    _print_status(con, limit)
    con.close()


def _print_status(con, limit: int) -> None:
    try:
        rows, alerts = state.last_runs(con, limit), state.yield_drops(con)
    except Exception:  # database made before the crawl tables existed
        rows, alerts = [], []
    if not rows:
        click.echo("no runs yet")
    click.echo(f"{'run':<22}{'site':<22}{'found':>7}{'fetched':>9}{'new':>6}{'facts':>7}  status / failures")
    for run_id, site, _, found, fetched, new, failures, facts, status in rows:
        click.echo(f"{run_id:<22}{site:<22}{found or 0:>7}{fetched or 0:>9}{new or 0:>6}"
                   f"{facts if facts is not None else '-':>7}  {status} {failures or ''}")
    for site, why in alerts:
        click.echo(f"WARNING {site}: {why} (layout probably changed; check its site file)")


def register(group) -> None:
    for command in (crawl_cmd, run_cmd, status_cmd):
        group.add_command(command)
