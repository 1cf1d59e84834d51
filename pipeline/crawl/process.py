"""Running the crawl in a child process (`python -m pipeline.crawl.spider`).

Scrapy's reactor starts once per process, and a child that crashes or is
killed harms nothing: the state table and the WARC files say what was done.
"""
from __future__ import annotations

import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from pipeline.crawl.spider import CrawlConfig


def crawl_command(config: CrawlConfig) -> list[str]:
    """argv that runs this crawl in a fresh Python process."""
    argv = [sys.executable, "-m", "pipeline.crawl.spider"]
    for key, value in asdict(config).items():
        if key != "names" and value is not None:
            argv += [f"--{key.replace('_', '-')}", str(value)]
    return argv + list(config.names)


def crawl_in_subprocess(config: CrawlConfig, echo=print) -> int:
    """Run the crawl in a child process, passing its progress lines to `echo`."""
    child = subprocess.Popen(crawl_command(config), stdout=subprocess.PIPE, text=True,
                             cwd=Path.cwd())
    for line in child.stdout:
        echo(line.rstrip("\n"))
    return child.wait()
