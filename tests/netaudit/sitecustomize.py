"""Test-only: every TCP connection a crawl process opens, written down.

The test session puts this folder on PYTHONPATH and names a folder in
VNFACTS_NET_AUDIT (tests/hostguard.py). In a process running the crawl
spider (`python -m pipeline.crawl.spider`), an audit hook then appends to
<folder>/<pid>.jsonl: first the sites the crawl was started with (read
from its --sites-dir and names, as the files were at start), then each
name it resolves and each address it connects to. The hook sits below
Scrapy and the crawler's own checks, so it sees what they would miss.
Every other process: nothing is done (one environment lookup).
"""
import os
import sys

FOLDER = os.environ.get("VNFACTS_NET_AUDIT")
ARGV = list(getattr(sys, "orig_argv", []))
MARK = "pipeline.crawl.spider"


def _crawl_args(argv):
    """(sites_dir, names) from the spider's argv: every option takes a value."""
    tokens = argv[argv.index(MARK) + 1:] if MARK in argv else []
    sites_dir, names, i = None, [], 0
    while i < len(tokens):
        if tokens[i].startswith("--"):
            if tokens[i] == "--sites-dir" and i + 1 < len(tokens):
                sites_dir = tokens[i + 1]
            i += 2
        else:
            names.append(tokens[i])
            i += 1
    return sites_dir, names


def _sites(sites_dir, names):
    """name -> domains of the site files the crawl reads (invalid ones included)."""
    import glob

    import yaml

    found = {}
    for path in sorted(glob.glob(os.path.join(sites_dir or "", "*.y*ml"))):
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
            found[str(data["name"])] = [str(d).lower() for d in data.get("domains") or []]
        except Exception:
            continue  # the crawl refuses it too
    return {k: v for k, v in found.items() if not names or k in names}


def _install():
    import json

    path = os.path.join(FOLDER, f"{os.getpid()}.jsonl")
    out = open(path, "a", buffering=1, encoding="utf-8")
    sites_dir, names = _crawl_args(ARGV)
    out.write(json.dumps({"argv": ARGV, "sites": _sites(sites_dir, names)}) + "\n")

    def hook(event, args):
        if event == "socket.connect":
            address = args[1]
            if isinstance(address, tuple) and len(address) >= 2:
                out.write(json.dumps({"connect": [str(address[0]), int(address[1])]}) + "\n")
        elif event == "socket.getaddrinfo":
            out.write(json.dumps({"resolve": [str(args[0]), str(args[1])]}) + "\n")

    sys.addaudithook(hook)


if FOLDER and MARK in ARGV:
    _install()
