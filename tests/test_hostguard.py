"""The suite-wide guard of tests/hostguard.py catches what it is there for."""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

from crawlkit import servers, write_site  # noqa: F401 (fixture)
from hostguard import AUDIT_ENV, audit_violations

from pipeline.crawl import localsites

# A process that calls itself the spider (the hook reads its argv) and
# fetches from a host its site file does not list.
OFFSITE = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1]).read()"


def test_a_crawl_process_connecting_off_its_sites_is_caught(tmp_path, servers):
    site, other = servers(), servers()
    write_site(tmp_path / "sites", "s", site)
    folder = tmp_path / "audit"
    folder.mkdir()
    env = {**os.environ, AUDIT_ENV: str(folder)}
    for target in (site, other):
        subprocess.run([sys.executable, "-c", OFFSITE, target.url("/x"), "pipeline.crawl.spider",
                        "--sites-dir", str(tmp_path / "sites"), "s"], env=env, check=False,
                       capture_output=True, timeout=30)
    assert other.paths() == ["/x"] and site.paths() == ["/x"]      # both really fetched
    problems = audit_violations(folder, checked={})
    assert any(f"connected to 127.0.0.1:{other.port}," in p for p in problems), problems
    assert all(f":{other.port}," in p for p in problems), problems  # the site's own fetch is fine


def test_the_guard_is_on_for_this_session():
    assert os.environ.get(AUDIT_ENV) and "netaudit" in os.environ["PYTHONPATH"]


def test_a_server_notes_a_request_meant_for_another_host(servers):
    site = servers()
    request = urllib.request.Request(site.url("/a"), headers={"Host": "example.vn"})
    try:
        urllib.request.urlopen(request).read()
    except urllib.error.HTTPError:
        pass  # 404: the route does not exist; the request arrived
    assert localsites.STRAY == [f"{site.netloc} got '/a' with Host 'example.vn'"]
    localsites.STRAY.clear()  # the autouse guard would fail this test otherwise
