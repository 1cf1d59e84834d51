"""The CLI side of the review page: `vnfacts serve` and `vnfacts export gold`.

Starlette and uvicorn are imported only when the server starts, so
`vnfacts --help` stays cheap."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from pipeline.paths import DEFAULT_DB
from pipeline.lazy import lazy_module

reviews = lazy_module("pipeline.store.reviews")  # DuckDB loads when a command runs, not for `vnfacts --help`


def default_reviewer() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "reviewer"


@click.command()
@click.option("--db", "db_path", default=str(DEFAULT_DB), show_default=True, type=click.Path(dir_okay=False),
              metavar="FILE", help="DuckDB database file")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to bind (local only by default)")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--reviewer", default=default_reviewer, help="name stored with each decision (default: your login)")
def serve(db_path, host, port, reviewer):
    """Browse, facet and review the facts in the browser.

    Keys on the review page: a accept, x reject, e edit, u undo, space skip.
    Decisions go to the `reviews` table; `vnfacts export gold` turns them
    into a gold file for `vnfacts eval`.
    """
    import uvicorn

    from pipeline.serve.app import create_app

    if not Path(db_path).is_file():
        raise click.ClickException(f"no database at {db_path} (vnfacts demo, ingest or crawl creates one)")
    with reviews.open_db(db_path):
        pass  # fail here, with the path, if the database cannot be opened
    click.echo(f"vnfacts: serving {db_path} at http://{host}:{port}/ (Ctrl-C stops)", err=True)
    uvicorn.run(create_app(db_path, reviewer, host), host=host, port=port, log_level="warning")


def export_gold(output: str | None, db_path: str) -> None:
    """`vnfacts export gold`: the reviewed documents as a gold file."""
    from pipeline.serve.gold import write_gold

    with reviews.open_db(db_path) as con:
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                docs, facts, partial = write_gold(con, handle)
        else:
            docs, facts, partial = write_gold(con, sys.stdout)
    where = f" to {output}" if output else ""
    click.echo(f"wrote {docs} reviewed documents, {facts} gold facts{where}", err=True)
    if partial:
        click.echo(f"warning: {len(partial)} documents have unreviewed facts (eval counts them as false "
                   f"positives): {', '.join(partial[:10])}{' ...' if len(partial) > 10 else ''}", err=True)


def register(main: click.Group) -> None:
    main.add_command(serve)
