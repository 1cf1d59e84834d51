"""Commands `crawl`, `run` (the nightly one) and `status`.

`register(group)` adds them to the main click group (pipeline/cli/main.py).
The crawler (Scrapy, Twisted, warcio) is imported inside `crawl` and `run`
only: `vnfacts --help` and `status` must not pay for it (issue 11).
"""
from __future__ import annotations

import time
from datetime import datetime

import click

from pipeline.cli.output import db_option
from pipeline.paths import CORPUS_DIR, SITES_DIR

# --- click --------------------------------------------------------------------

def crawl_options(func):
    options = [
        click.argument("site", nargs=-1),
        db_option(create=True),
        click.option("--sites", "sites_dir", default=str(SITES_DIR), show_default=True,
                     help="Folder of site files."),
        click.option("--corpus", default=str(CORPUS_DIR), show_default=True,
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


def _config(site, db_path, sites_dir, corpus, since, timeout, max_size, retries):
    from pipeline.crawl.settings import CrawlConfig

    if since:  # fail early, in one line, on a bad date
        try:
            datetime.strptime(since, "%Y-%m-%d")
        except ValueError:
            raise click.ClickException(f"--since {since!r}: not a date (YYYY-MM-DD)") from None
    return CrawlConfig(db=db_path, sites_dir=sites_dir, corpus=corpus, since=since, timeout=timeout,
                       max_size=max_size, retries=retries, names=list(site))


@click.command("crawl")
@crawl_options
def crawl_cmd(**options):
    """Crawl sites (all, or the named SITEs), archive to WARC, store new documents."""
    from pipeline.crawl.nightly import nightly, print_summary

    summary = nightly(_config(**options), extract=False)
    print_summary(summary)
    raise SystemExit(summary.exit_code)


@click.command("run")
@crawl_options
def run_cmd(**options):
    """Nightly run: crawl, archive, clean, extract and load, with a summary."""
    from pipeline.crawl.nightly import nightly, print_summary
    from pipeline.crawl.timeline import mark

    mark("parent: vnfacts run imported")
    config = _config(**options)
    copies = Copies(config.db)
    summary = nightly(config, extract=True, after_pass=copies.during_crawl, warm_up=copies.warm_up)
    if summary.total("new_documents"):
        copies()  # those of the last pass (and any error, said here as before)
        click.echo(f"{copies.sketched} documents sketched for copies (document_clusters)", err=True)
        mark("parent: copies linked")
    print_summary(summary)
    mark("parent: summary printed")
    raise SystemExit(summary.exit_code)  # pipeline.cli.run ends the process at once


class Copies:
    """Issue 13's copies, found after each store pass of `vnfacts run` (then
    only the last pass's documents are left for the end of the run)."""

    SHARE = 0.2  # at most this share of the crawl's time goes to finding copies

    def __init__(self, db_path: str):
        self.db_path, self.db, self.sketched, self.failed = db_path, None, 0, False
        self.took, self.ended = 0.0, float("-inf")

    def __call__(self, target=None) -> None:
        """`target`: an open connection, or None (the database, opened per batch)."""
        from pipeline.dataset.clusters import link_copies
        from pipeline.store import Database

        if target is None:
            target = self.db = self.db or Database(self.db_path)
        self.sketched += link_copies(target)

    def warm_up(self) -> None:
        """Import what links copies (pandas, pyarrow: ~0.45 s) while the crawl
        child starts: at the first pass that stored pages it held up the run
        (a 300-page run at delay 0 spent 0.6 s there after the crawl ended).
        A failure must not stop the crawl, as in during_crawl."""
        from pipeline.crawl.timeline import mark

        try:
            from pipeline.dataset import clusters  # noqa: F401
        except Exception:  # noqa: BLE001 - the call at the end of the run meets it again and reports it
            self.failed = True
        mark("parent: copies' modules imported")

    def during_crawl(self, target) -> None:
        """After a store pass, unless the last call was too recent for its cost
        (each call also rebuilds the clusters, which grows with the database:
        46 ms at 2,000 documents). A failure here must not stop the crawl: the
        call at the end of the run meets it again and reports it."""
        if self.failed or time.monotonic() - self.ended < self.took / self.SHARE:
            return
        started = time.monotonic()
        try:
            self(target)
        except Exception:  # noqa: BLE001
            self.failed = True
        self.ended = time.monotonic()
        self.took = self.ended - started


@click.command("status")
@db_option()
@click.option("--runs", "limit", default=5, show_default=True, help="How many recent runs.")
def status_cmd(db_path: str, limit: int):
    """Recent runs per site; flags sites whose yield dropped to zero."""
    from pipeline.store import connect

    with connect(db_path, read_only=True) as con:
        _print_status(con, limit)


def _print_status(con, limit: int) -> None:
    # An older database gained the crawl tables when connect upgraded it.
    from pipeline.store import crawlstate as state

    rows, alerts = state.last_runs(con, limit), state.yield_drops(con)
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
