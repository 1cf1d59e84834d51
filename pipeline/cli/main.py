"""The `vnfacts` command: a thin layer over the library's stage functions.

Every command module is cheap to import: a command imports its stages,
the crawler, pandas or Ray inside its own function, so `vnfacts --help`,
`query` and `status` start without spaCy, underthesea, Scrapy or pandas
(issue 11; tests/test_startup.py checks)."""
from __future__ import annotations

import difflib
import re
import sys
from contextlib import contextmanager
from pathlib import Path

import click

import pipeline
from pipeline.lazy import lazy_module
from pipeline.cli.output import Rows, db_option, emit, jsonable, output_options
from pipeline.paths import CORPUS_DIR, SAMPLE_DIR
from pipeline.scale import engine as engines

store = lazy_module("pipeline.store")  # DuckDB: when a command opens the database


class Group(click.Group):
    """Turns the library's input errors into one clear line, no traceback;
    anything else too, unless --debug (or VNFACTS_DEBUG=1) asks for it."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            closed_output()
        except Exception as error:
            if isinstance(error, input_errors()):
                raise click.ClickException(str(error)) from None
            if ctx.params.get("debug"):
                raise
            one_line = " ".join(str(error).split())  # DuckDB's messages span lines
            raise click.ClickException(f"{type(error).__name__}: {one_line} "
                                       "(vnfacts --debug shows the traceback)") from None


def closed_output() -> None:
    """`vnfacts eval ... | head`: the reader stopped; end quietly, as the
    Python docs advise (stdout to devnull so the exit flush cannot fail)."""
    import os
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(1)


def input_errors() -> tuple[type, ...]:
    """The library's input errors, from the modules loaded so far: an error
    class whose module never loaded was not raised, and naming it through
    the API would load spaCy (RuleError) or trafilatura (CleanError)."""
    names = (("pipeline.extract.notation", "RuleError"), ("pipeline.clean.parse", "CleanError"),
             ("pipeline.store.db", "StoreError"))
    return tuple(getattr(sys.modules[m], n) for m, n in names if m in sys.modules)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vnfacts")
@click.option("--debug", is_flag=True, envvar="VNFACTS_DEBUG", help="show the traceback of an unexpected error")
def main(debug):
    """vnfacts: Vietnamese provincial news -> facts in DuckDB, queryable with SQL.

    Stages: clean -> normalize -> segment -> extract -> load.
    """


@contextmanager
def database_for(engine: str, db_path: str, create: bool = True):
    """The local engine opens the file for each batch, so `vnfacts query` works
    while a long ingest or extract runs; Ray's driver keeps one connection."""
    db = store.Database(db_path, create=create)
    if engine == "local":
        yield db
        return
    with store.session(db) as con:
        yield con


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--max-chars", type=click.IntRange(min=1), default=None, metavar="N",
              help="largest document in characters of text, HTML 4x [default: 2,000,000 or VNFACTS_MAX_DOC_CHARS]")
@click.option("--clusters", is_flag=True, help="also link the new documents to their copies and near-copies "
              "(otherwise vnfacts claims or the nightly run does it)")
@engines.engine_options
@db_option(create=True)
def ingest(paths, max_chars, clusters, engine, address, workers, db_path):
    """Store documents from JSON Lines (.jsonl, .jsonl.gz, or - for standard
    input), .html/.txt files or folders of them, and WARC files (.warc.gz,
    also inside folders: each complete HTML page, id from its URL).

    JSONL lines carry id, url, site, title, published and text or html;
    a file's id is its stem. Re-ingesting the same document changes nothing;
    the same id twice in one input keeps the last. A bad record is reported
    as FILE:LINE and the rest is stored.
    """
    with database_for(engine, db_path) as db:
        report = engines.ingest(db, paths, engine, address, workers, sys.stderr.isatty(), max_chars)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.errors)} errors, {report.duplicates} duplicate ids (last kept)", err=True)
    if engines.throughput(report):
        click.echo(engines.throughput(report), err=True)
    if (report.added or report.updated) and clusters:
        link_copies(db_path)
    sys.exit(1 if report.errors and not (report.added or report.updated or report.unchanged) else 0)


def link_copies(db_path) -> None:
    """Issue 13: syndicated copies are found as documents are stored (MinHash/LSH)."""
    from pipeline.dataset.clusters import link_copies as link

    sketched = link(store.Database(db_path))  # one connection per batch: others get the database in between
    click.echo(f"{sketched} documents sketched for copies (document_clusters)", err=True)


@main.command()
@click.option("--all", "everything", is_flag=True, help="re-extract every document")
@engines.engine_options
@db_option()
def extract(everything, engine, address, workers, db_path):
    """Extract facts from documents not yet extracted with the current rules."""
    with database_for(engine, db_path, create=False) as db:
        report = engines.extract(db, everything, engine, address, workers, sys.stderr.isatty())
    click.echo(f"{report.documents} documents extracted, {report.facts} facts "
               f"(rules version {report.rules_version})", err=True)
    for doc, indicator, reason in getattr(report, "dropped", [])[:20]:
        click.echo(f"  dropped: document {doc!r}, {indicator}: {reason}", err=True)
    if getattr(report, "dropped", None):
        click.echo(f"{len(report.dropped)} figures dropped: out of range", err=True)
    for doc, reason in getattr(report, "stopped", [])[:20]:
        click.echo(f"  stopped: document {doc!r}: {reason}", err=True)
    if getattr(report, "stopped", None):
        click.echo(f"{len(report.stopped)} documents stopped by the time budget, left pending "
                   "(rerun with a larger VNFACTS_DOC_SECONDS)", err=True)
    if engines.throughput(report):
        click.echo(engines.throughput(report), err=True)


@main.command()
@click.argument("sql", required=False)
@click.option("--list", "list_saved", is_flag=True, help="list the saved queries")
@output_options
@click.option("--width", type=click.IntRange(min=20), default=None, metavar="N",
              help="table width in characters [default: the terminal's]")
@db_option()
def query(sql, list_saved, fmt, width, db_path):
    """Run SQL, or a saved query by NAME (see --list), and print the result."""
    saved = store.saved_queries()
    if list_saved or not sql:
        for name, path in saved.items():
            click.echo(f"{name:24} {path.read_text(encoding='utf-8').splitlines()[0].lstrip('- ')}")
        return
    if sql not in saved and re.fullmatch(r"\w+", sql) and not sql.isdigit():
        near = difflib.get_close_matches(sql, saved, n=1)
        hint = f"did you mean {near[0]}? " if near else ""
        raise click.ClickException(f"no saved query named {sql!r}: {hint}(vnfacts query --list, or write SQL)")
    text = saved[sql].read_text(encoding="utf-8") if sql in saved else sql
    with store.connect(db_path, read_only=True) as con:
        try:
            frame = Rows.of(*store.run_sql(con, text))
        except Exception as error:  # DuckDB raises many kinds; all are the user's SQL
            raise click.ClickException(f"query failed: {error}") from None
    emit(frame, fmt, width=width)


@main.command()
@click.argument("what", type=click.Choice(["facts", "documents", "gold", "panel"]))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet", "dta", "xlsx"]), default="jsonl",
              show_default=True, help="dta (Stata) and xlsx: panel only")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="file to write (default: standard output)")
@db_option()
def export(what, fmt, output, db_path):
    """Export facts (FACTS.md fields + confidence + provenance) or documents."""
    if what == "gold":  # reviewed documents as a gold file for eval (pipeline/serve)
        from pipeline.serve.command import export_gold
        return export_gold(output, db_path)
    if what == "panel":  # claims by province, indicator and date, with a data dictionary (pipeline/dataset)
        from pipeline.cli.dataset import export_panel
        return export_panel(fmt, output, db_path)
    if fmt in ("dta", "xlsx"):
        raise click.UsageError(f"--format {fmt} is for the panel: vnfacts export panel --format {fmt} -o FILE")
    if fmt == "parquet" and not output:
        raise click.UsageError("parquet needs -o FILE")
    with store.connect(db_path, read_only=True) as con:
        if output:
            click.echo(f"wrote {store.export_file(con, what, fmt, output)}", err=True)
        else:
            # plain rows, not a DataFrame: exporting to a pipe starts without pandas (issue 11)
            emit(Rows.of(*store.run_sql(con, store.reads.export_sql(what))), "nl" if fmt == "jsonl" else "csv")


@main.command(name="eval")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@click.option("--errors", is_flag=True, help="list false positives, false negatives and wrong attributes of matched facts")
@click.option("--by-indicator", is_flag=True, help="attribute accuracy per indicator too")
@click.option("--json", "as_json", is_flag=True, help="print the scores as JSON")
@db_option()
def evaluate_command(gold, errors, by_indicator, as_json, db_path):
    """Precision, recall, F1 and attribute accuracy of the stored facts
    against a GOLD.jsonl file; a reliability table when facts carry a
    confidence. Fails when none of the gold documents is in the database."""
    from pipeline.quality.evaluate import evaluate
    from pipeline.quality.report import print_evaluation

    with store.connect(db_path, read_only=True) as con:
        facts = Rows.of(*store.run_sql(con, store.reads.export_sql("facts")))  # as facts_table, without pandas
        stored = store.document_ids(con)
    try:
        result = evaluate(gold, jsonable(facts), stored_docs=stored)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    print_evaluation(result, errors, as_json, by_indicator)


@main.command()
@click.option("--direct", is_flag=True, help="ingest the sample files directly instead of crawling them")
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False), default=str(CORPUS_DIR),
              show_default=True, help="folder whose warc/ subfolder receives the crawl's archive")
@db_option(create=True)
def demo(direct, corpus_dir, db_path):
    """Run the whole pipeline on the bundled sample corpus and show facts.

    The samples are served as three small news sites on 127.0.0.1 (a feed,
    a sitemap, paginated listings) and crawled with the nightly `run`;
    nothing leaves this machine.
    """
    from pipeline.crawl.demo import run_demo_via_sites

    if direct:
        with store.connect(db_path) as con:
            pipeline.ingest_paths(con, [SAMPLE_DIR])
            pipeline.extract_pending(con, progress=sys.stderr.isatty())
    else:
        run_demo_via_sites(db_path, corpus_dir, echo=lambda *a: click.echo(" ".join(map(str, a)), err=True))
    with store.connect(db_path, read_only=True) as con:
        frame = store.demo_facts(con)
    emit(frame, "table")
    click.echo(f"\n{len(frame)} facts in {db_path}. Try: vnfacts query facts_by_province", err=True)


@main.group()
def rules():
    """Inspect and test the rules under rules/."""


@rules.command(name="test")
@click.option("--rule", "only", help="only rules whose id starts with this")
def rules_test(only):
    """Run every rule's examples and counterexamples."""
    from pipeline.quality.ruletest import run_rule_examples

    outcomes = run_rule_examples(only=only)
    if not outcomes:
        raise click.ClickException(f"no rule id starts with {only!r} (vnfacts rules list)" if only
                                   else "no rule has examples")
    failed = [o for o in outcomes if not o.passed]
    for outcome in failed:
        click.echo(f"FAIL {outcome.rule_id} {outcome.kind}: {outcome.text}\n     {outcome.detail}")
    click.echo(f"{len(outcomes) - len(failed)}/{len(outcomes)} examples pass")
    sys.exit(1 if failed else 0)


@rules.command(name="list")
@output_options
def rules_list(fmt):
    """List the rules with their id, indicator and number of examples."""
    import pandas as pd


    ruleset = pipeline.load_ruleset()
    frame = pd.DataFrame([{"id": r.id, "indicator": r.indicator, "patterns": len(r.patterns),
                           "examples": len(r.examples), "file": Path(r.path).name}
                          for r in ruleset.rules.values()])
    emit(frame, fmt)
    click.echo(f"rules version {ruleset.version}", err=True)


def register_plugins() -> None:
    """Commands from the crawler and benchmark modules."""
    from pipeline.cli import bench as cli_bench
    from pipeline.cli import crawl as cli_crawl
    from pipeline.cli import dataset as cli_dataset
    from pipeline.serve import command as serve_command

    cli_bench.register(main)
    cli_crawl.register(main)
    cli_dataset.register(main)
    serve_command.register(main)


register_plugins()


if __name__ == "__main__":
    main()
