"""A crawl of a portal whose canonical tags lie (tests/integration/hostile_canonical.py): every article
keeps its own text, the one legitimate canonical joins its copy, every claim is recorded with its
verdict and counted. SQLite and PostgreSQL.

On main (before issue 21) the same crawl left 5 articles and 10 versions for its 10 stories: the victim's
text was another page's, three stories were versions of one "article" at the home page's URL, one was
archived under the listing's URL, and the late victim's first version was its attacker's text. Now:
10 articles, one version each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from pipelines import canonical
from storage.models import Article, ArticleVersion, Capture, CrawlRun
from tests.integration.hostile_canonical import CLAIMS, STORIES, CanonicalPortal

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive, ReadArchive

pytestmark = pytest.mark.slow  # a crawl in a subprocess: not in `make test-fast`

# What each claim must come to: the victim is archived before the pages naming it (they are linked from
# it only), late-victim after claims-first (linked from it only).
EXPECTED = {
    "claims-victim": canonical.REJECTED_DIFFERENT_TEXT,
    "og-victim": canonical.REJECTED_DIFFERENT_TEXT,
    "home-1": canonical.IGNORED_HOME_OR_LISTING,
    "home-2": canonical.IGNORED_HOME_OR_LISTING,
    "home-3": canonical.IGNORED_HOME_OR_LISTING,
    "listing-claim": canonical.IGNORED_HOME_OR_LISTING,
    "print-copy": canonical.ACCEPTED,
    "claims-first": canonical.UNVERIFIED,
}


@dataclass
class Crawled:
    db: str
    stderr: str
    returncode: int
    base: str
    urls: dict[str, str]  # case -> the URL it was served at
    claims: dict[str, str]  # case -> the absolute URL its tag names
    captures: dict[str, Capture]  # by URL
    articles: dict[int, Article]
    versions: int
    stats: dict[str, int]


@pytest.fixture(scope="module")
def crawled(
    module_archive_url: str,
    newsarchive: Newsarchive,
    read_archive: ReadArchive,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Crawled]:
    with CanonicalPortal() as portal:
        result = newsarchive(
            "crawl", "--start-url", portal.base + "/", "--db", module_archive_url,
            cwd=tmp_path_factory.mktemp("canonical"), fast=True, timeout=300,
        )  # fmt: skip
        urls = {name: portal.url(name) for name in STORIES}
        claims = {name: portal.target(name) for name in CLAIMS}
        base = portal.base
    with read_archive(module_archive_url) as session:
        captures = {c.url: c for c in session.scalars(select(Capture))}
        articles = {a.id: a for a in session.scalars(select(Article))}
        versions = len(session.scalars(select(ArticleVersion.id)).all())
        run = session.scalars(select(CrawlRun)).one()
        session.expunge_all()
    yield Crawled(
        module_archive_url,
        result.stderr,
        result.returncode,
        base,
        urls,
        claims,
        captures,
        articles,
        versions,
        run.stats,
    )


def test_the_crawl_ends_cleanly(crawled: Crawled) -> None:
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    assert "Traceback" not in crawled.stderr, crawled.stderr[-3000:]
    assert set(crawled.urls.values()) <= set(crawled.captures)


def test_every_article_keeps_its_own_text(crawled: Crawled) -> None:
    for name, (title, paragraphs) in STORIES.items():
        if name == "print-copy":
            continue
        article = crawled.articles[crawled.captures[crawled.urls[name]].article_id or 0]
        assert article.canonical_url == crawled.urls[name], name
        assert (article.title, article.text.split("\n"), article.version) == (title, paragraphs, 1), name
    # Ten stories, ten articles of one version each: no claim made a version of another article.
    assert len(crawled.articles) == len(STORIES) - 1 == crawled.versions
    home_or_listing = (crawled.base + "/", crawled.base + "/thoi-su")
    assert not [a for a in crawled.articles.values() if a.canonical_url in home_or_listing]


def test_the_legitimate_canonical_joins_the_copy_to_its_original(crawled: Crawled) -> None:
    original = crawled.captures[crawled.urls["original"]]
    copy = crawled.captures[crawled.urls["print-copy"]]
    assert copy.article_id == original.article_id is not None


def test_every_claim_is_recorded_with_its_verdict_and_counted(crawled: Crawled) -> None:
    claimed = {name: crawled.captures[crawled.urls[name]] for name in CLAIMS}
    recorded = {name: (c.canonical_claim, c.canonical_verdict) for name, c in claimed.items()}
    # home-2 declares the relative "/", which the extractor resolves against the page.
    assert recorded == {name: (crawled.claims[name], EXPECTED[name]) for name in CLAIMS}
    for name in ("victim", "original", "late-victim"):  # canonical naming themselves: no claim
        assert crawled.captures[crawled.urls[name]].canonical_verdict is None
    counted = {
        k.removeprefix("canonical/"): v for k, v in crawled.stats.items() if k.startswith("canonical/")
    }
    assert counted == {
        canonical.REJECTED_DIFFERENT_TEXT: 2, canonical.IGNORED_HOME_OR_LISTING: 4, canonical.ACCEPTED: 1,
        canonical.UNVERIFIED: 1,
    }  # fmt: skip


def test_show_and_export_show_the_claim(crawled: Crawled, newsarchive: Newsarchive, tmp_path: Path) -> None:
    hijacker = crawled.captures[crawled.urls["claims-victim"]]
    shown = newsarchive("show", str(hijacker.article_id), "--db", crawled.db, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    claim = crawled.claims["claims-victim"]
    assert f"canonical claim: {claim} (rejected_different_text)" in shown.stdout
    exported = newsarchive("export", "--format", "jsonl", "--db", crawled.db, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    records = {record["id"]: record for record in map(json.loads, exported.stdout.splitlines())}
    record = records[hijacker.article_id]
    assert (record["canonical_claim"], record["canonical_verdict"]) == (claim, "rejected_different_text")
    home = records[crawled.captures[crawled.urls["home-1"]].article_id]
    assert (home["canonical_claim"], home["canonical_verdict"]) == (
        crawled.base + "/",
        "ignored_home_or_listing",
    )
