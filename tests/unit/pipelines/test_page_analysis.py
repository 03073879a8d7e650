"""analyse_page parses an article page once for discovery and extraction: what it returns must equal
what link reading and extraction return each on their own parse, on every replica page."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.analysis.job import PageJob, analyse_page
from pipelines.extract import links as page_links
from pipelines.extract.core import ExtractionError, extract_article
from pipelines.extract.links import LinkRules, read_links
from storage.urls import site_key
from tests.replica import build_world
from tests.replica.site import Site


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, bytes, str | None]]:
    """(url, body, content type) of every article page of a small world, special pages included."""
    world = build_world(portals=3, articles=40, seed=5)
    bases = {key: f"http://127.0.0.{i + 2}:8{i:03d}" for i, key in enumerate(world.portal_keys)}
    sites = {portal.key: Site(world, portal, bases[portal.key]) for portal in world.portals}
    found = []
    for url, article in world.ground_truth(bases).articles.items():
        response = sites[article.portal].respond(url.removeprefix(bases[article.portal]))
        found.append((url, response.body, response.content_type))
    return found


def test_one_parse_gives_the_links_and_article_of_two(pages: list[tuple[str, bytes, str | None]]) -> None:
    compared = 0
    for url, body, content_type in pages:
        rules = LinkRules(site_key(url))
        result = analyse_page(PageJob(body, url, content_type, links=rules))
        alone = read_links(body, url, rules)
        assert result.links is not None and alone is not None, url
        assert result.links == alone, url
        if not alone.is_article:  # the signals say listing: not extracted, as the crawl does
            assert result.article is None and result.digest is None, url
            continue
        try:
            expected = extract_article(body, url, content_type=content_type)
        except ExtractionError as exc:
            assert result.article is None and result.error == str(exc), url
            continue
        assert result.article == expected, url
        assert result.digest is not None and result.search is not None
        compared += 1
    assert compared >= 60


def test_the_crawl_reads_a_workers_result_without_loading_the_extractors(
    pages: list[tuple[str, bytes, str | None]],
) -> None:
    # The crawl's main process unpickles every page's result: its types (the article, the LanguageResult,
    # the Fingerprint) and the stages that read them must not pull in the extractors the workers run.
    results = (analyse_page(PageJob(body, url, content_type)) for url, body, content_type in pages)
    result = next(r for r in results if r.article is not None)
    assert result.language is not None and result.fingerprint is not None
    script = (
        "import pickle, sys\n"
        "import pipelines.dedup, pipelines.extraction, pipelines.language\n"
        "assert pickle.loads(sys.stdin.buffer.read()).language.language == 'vi'\n"
        "extractors = ('datasketch', 'justext', 'langdetect', 'trafilatura')\n"
        "print(sorted(m for m in extractors if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=pickle.dumps(result),
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == b"[]"


def test_a_library_error_is_the_pages_failure_not_the_workers(
    pages: list[tuple[str, bytes, str | None]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.analysis import analyse

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a library bug")

    url, body, content_type = pages[0]
    for step in ("extract_article", "prepare_page"):
        monkeypatch.setattr(analyse, step, broken)
        result = analyse_page(PageJob(body, url, content_type))
        assert result.article is None and result.digest is not None, step
        assert result.error == "extractor error: RuntimeError: a library bug", step


def test_a_page_extraction_refuses_still_has_its_links_read() -> None:
    body = b'<html><head><meta property="og:type" content="article"></head><body>\x00' + b"\x00" * 200
    body += b'<a href="/tin-tuc/mot-bai-bao-rat-dai-ve-tinh-hinh-1234.html">x</a></body></html>'
    url = "http://127.0.0.2:8000/tin-tuc/trang-1.html"
    result = analyse_page(PageJob(body, url, "text/html", links=LinkRules(site_key(url))))
    assert result.article is None and result.error is not None and "binary" in result.error
    assert result.links == read_links(body, url, LinkRules(site_key(url)))


def test_links_resolved_once_per_worker_resolve_as_each_page_would() -> None:
    """Absolute and root-relative hrefs are cached per worker; every href must resolve exactly as
    urljoin against the page's own URL does, malformed and host-less ones included."""
    bases = [
        "http://127.0.0.2:8000/tin-tuc/bai-viet.html?trang=2#binh-luan",
        "https://baoninhthuan.com.vn/thoi-su/",
        "https://baoninhthuan.com.vn",
        "http://user@[::1]:8080/a/b?c",
        "https://h.vn?x=1",
    ]
    hrefs = [
        "/", "/tin-tuc/x-1234.html", "/a/../b", "/x?y#z", "/%zz", "/\\\\evil", "//other.vn/x", "x.html",
        "../y", "?trang=3", "#top", "http://other.vn/a", "https://other.vn:8443/a?b#c", "http://a:99999/",
        "https://x/../y", "http://", "http:///x", "https://?q", "https://#f", "https:x", "http://[::1/",
        "http://h/tin-tức", "HTTP://Other.vn/A",
    ]  # fmt: skip
    for base in bases:
        for href in hrefs:
            assert page_links.resolve_link(base, href) == page_links._resolve(base, href), (base, href)
    assert page_links._resolved.cache_info().maxsize  # bounded
