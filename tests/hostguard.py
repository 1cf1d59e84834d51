"""Suite-wide: no request of a crawl ever leaves the hosts of the sites it crawls.

Two witnesses, both automatic (the autouse fixture below runs for every test):
- each crawl process writes down every TCP connection it opens and every
  name it resolves (tests/netaudit/sitecustomize.py, an audit hook below
  Scrapy); after each test, every connection must go to a domain of a site
  that crawl was started with. This covers hosts no test server runs on.
- every local test server (pipeline.crawl.localsites.LocalSite) checks each
  request it gets: the Host header is its own host:port and the target is a
  path (no proxy-style absolute URL); anything else is noted in STRAY.
A crawl run inside a module fixture is checked at the next test's end.
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

AUDIT_ENV = "VNFACTS_NET_AUDIT"
HOOK_DIR = Path(__file__).resolve().parent / "netaudit"
_checked: dict[str, int] = {}   # audit file -> lines already checked (and "<file>:size" -> its size then)


def start_audit() -> Path:
    """Called once per session: crawl processes started from now on are audited."""
    folder = Path(tempfile.mkdtemp(prefix="vnfacts-netaudit-"))
    atexit.register(shutil.rmtree, folder, True)
    os.environ[AUDIT_ENV] = str(folder)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(HOOK_DIR), os.environ.get("PYTHONPATH")) if p)
    return folder


def _addresses(host: str) -> set[str]:
    try:
        return {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return set()


def allowed(host: str, port: int, domains: list[str], resolved: bool = False) -> bool:
    """Is host:port (an address connected to, or a name resolved) on one of the domains?"""
    for domain in domains:
        name, _, want = domain.rpartition(":") if ":" in domain else (domain, "", "")
        if want and str(port) != want and not (resolved and port in (0, None)):
            continue
        if host == name or host.endswith("." + name) or (not resolved and host in _addresses(name)):
            return True
    return False


def entry_problem(entry: dict, domains: list[str]) -> str | None:
    if "connect" in entry:
        host, port = entry["connect"]
        return None if allowed(host, port, domains) else f"connected to {host}:{port}"
    if "resolve" in entry:
        host, port = entry["resolve"]
        port = int(port) if port.isdigit() else 0
        return None if allowed(host.lower(), port, domains, resolved=True) else f"resolved {host}:{port}"
    return None


def audit_violations(folder: Path, checked: dict[str, int] | None = None) -> list[str]:
    """Every connection or look-up, in the audit files of `folder`, off its crawl's sites."""
    checked = _checked if checked is None else checked
    problems = []
    for path in sorted(folder.glob("*.jsonl")):
        size = path.stat().st_size
        if checked.get(f"{path}:size") == size:
            continue  # nothing new since the last look (this runs after every test)
        checked[f"{path}:size"] = size
        lines = path.read_text(encoding="utf-8").splitlines()
        header = json.loads(lines[0]) if lines else {"sites": {}}
        domains = [d for ds in header["sites"].values() for d in ds]
        for line in lines[max(1, checked.get(str(path), 0)):]:
            problem = entry_problem(json.loads(line), domains) if line.endswith("}") else None
            if problem:
                problems.append(f"crawl {' '.join(header['argv'][-3:])} {problem}, sites {header['sites']}")
        checked[str(path)] = len(lines)
    return problems


@pytest.fixture(autouse=True)
def crawls_stay_on_their_sites():
    """After every test: no crawl request left its sites (see the module doc)."""
    from pipeline.crawl import localsites

    yield
    problems = audit_violations(Path(os.environ[AUDIT_ENV])) if os.environ.get(AUDIT_ENV) else []
    problems += localsites.STRAY
    localsites.STRAY.clear()
    assert not problems, "requests off the crawled sites:\n" + "\n".join(problems[:20])
