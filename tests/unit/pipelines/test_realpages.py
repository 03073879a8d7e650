"""The real-pages benchmark portal: what it serves, without sockets."""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from pipelines.extract.links import LinkRules, classify_url
from storage.urls import site_key
from tests.benchmarks.realpages import OFFSITE, RealPagesSite, load_pages, page_files

PAGE = (
    '<html><head><meta charset="windows-1252"><link rel="canonical" href="https://news.example/a-1234.html">'
    "</head><body><a href='/kinh-te/'>menu</a><a href=relative-5678.html>rel</a><h1>T\xe9</h1>"
    "<p>" + "long text " * 30 + "</p><p>second</p></body></html>"
).encode("windows-1252")


def test_loads_pages_sends_links_offsite_and_makes_copies_unique(tmp_path: Path) -> None:
    (tmp_path / "a.html.gz").write_bytes(gzip.compress(PAGE))
    (tmp_path / "b_list.html").write_bytes(b"<html><body>listing</body></html>")
    (tmp_path / "notes.txt").write_text("not a page")
    assert [p.name for p in page_files(tmp_path)] == ["a.html.gz"]
    site = RealPagesSite(load_pages(tmp_path), count=3)
    site.base = "http://127.0.0.1:1"

    status, first, content_type = site.respond(site.path(0))
    assert status == 200 and content_type == "text/html; charset=windows-1252"
    hrefs = re.findall(rb"href=\S+", first)
    assert len(hrefs) == 3 and all(OFFSITE.encode() in href for href in hrefs)
    assert "T\xe9".encode("windows-1252") in first  # raw bytes kept
    second = site.respond(site.path(1))[1]
    assert first != second and len(first) == len(second)
    # The unique paragraph follows the first long paragraph, inside the text an extractor keeps.
    assert first.index(b"Benchmark copy 0") > first.index(b"long text")
    assert site.respond(site.path(3))[0] == 404


def test_portal_is_discoverable_like_the_replica(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_bytes(PAGE)
    site = RealPagesSite(load_pages(tmp_path), count=45)
    site.base = "http://127.0.0.1:1"
    rules = LinkRules(site_key(site.base + "/"))
    assert classify_url(site.base + site.path(7), rules) == "article"
    assert "Sitemap: http://127.0.0.1:1/sitemap.xml" in site.respond("/robots.txt")[1].decode()
    index = ET.fromstring(site.respond("/sitemap.xml")[1])
    locs = [loc.text for loc in index.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locs == ["http://127.0.0.1:1/sitemap-1.xml"]
    urlset = ET.fromstring(site.respond("/sitemap-1.xml")[1])
    assert len(list(urlset)) == 45
    # Home page -> /tin-moi/ -> trang-2 -> trang-3 (the last, 45 = 20 + 20 + 5).
    listed: list[str] = []
    for path in ("/", "/tin-moi/trang-2.html", "/tin-moi/trang-3.html"):
        status, body, _ = site.respond(path)
        assert status == 200
        listed += re.findall(r'href="(/tin-tuc/[^"]+)"', body.decode())
    assert len(set(listed)) == 45 and classify_url(site.base + "/tin-moi/trang-2.html", rules) == "listing"
    assert 'href="/tin-moi/"' in site.respond("/")[1].decode()
    assert "trang-4" not in site.respond("/tin-moi/trang-3.html")[1].decode()
