"""The command line: a thin layer over the library (pipeline/__init__.py)."""
from pipeline.cli.main import main


def run() -> None:
    """`vnfacts` as a process (the console script and `python -m pipeline.cli`):
    the command, its regexes through the cache (pipeline/regex_cache.py),
    then an exit without the interpreter's teardown (cli/ending.py).
    In-process callers (tests, CliRunner) call `main`."""
    from pipeline import regex_cache

    regex_cache.install()
    try:
        main()
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            from pipeline.cli.ending import end_now

            end_now(done.code or 0)
        raise


__all__ = ["main", "run"]
