"""`vnfacts export panel` and `vnfacts release DIR`: the dataset layer's commands."""
from __future__ import annotations

import click

from pipeline.cli.output import db_option
from pipeline.lazy import lazy_module

store = lazy_module("pipeline.store")


def export_panel(fmt: str, output: str | None, db_path: str) -> None:
    """The panel and its data dictionary (NAME.schema.json, NAME.dictionary.md)."""
    from pipeline.dataset.panel import export_panel as write

    if not output:
        raise click.UsageError("export panel needs -o FILE (its data dictionary is written next to it)")
    with store.connect(db_path, create=False) as con:
        for path in write(con, fmt, output):
            click.echo(f"wrote {path}", err=True)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--with-text", is_flag=True, help="include the documents' text (mind the publishers' rights)")
@db_option()
def release(directory, with_text, db_path):
    """Write a frozen, citable snapshot into DIRECTORY: facts, claims, documents
    (metadata) and the panel as Parquet and CSV, datapackage.json, checksums."""
    from pipeline.dataset.release import write_release

    with store.connect(db_path, create=False) as con:
        facts = write_release(con, directory, with_text)
    counts = ", ".join(f"{n} {name}" for name, n in facts["counts"].items())
    click.echo(f"released {counts}; rules {', '.join(facts['rules_versions']) or 'none'}; "
               f"published {facts['published_from']} .. {facts['published_to']} -> {directory}", err=True)




@click.command()
@db_option()
def claims(db_path):
    """Bring near-duplicate clusters, claims and conflicts up to date (the saved
    queries latest_figures and place_history read them)."""
    from pipeline.dataset import refresh

    with store.connect(db_path, create=False) as con:
        done = refresh(con)
    click.echo(f"{done['sketched']} documents sketched, {done['claims']} claims, {done['conflicts']} conflicts",
               err=True)


def register(main: click.Group) -> None:
    main.add_command(release)
    main.add_command(claims)
