"""extract_article over every article page of a replica world: each field must equal the ground truth.

Pages are rendered in memory (tests.replica.site.Site, no sockets). The world covers the three template
styles (A: Open Graph, B: JSON-LD, C: table layout without metadata), syndicated copies, an English page
and the special pages (NFD, windows-1258, huge, slow).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from pipelines.extract.core import ExtractedArticle, ExtractionError, extract_article
from tests.replica import build_world
from tests.replica.site import Site
from tests.replica.truth import ArticleTruth, GroundTruth
from tests.replica.world import World

FIELDS = ("title", "sapo", "text", "author", "published_at", "updated_at")


def _bases(world: World) -> dict[str, str]:
    return {key: f"http://127.0.0.{i + 2}:8{i:03d}" for i, key in enumerate(world.portal_keys)}


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(portals=3, articles=60, seed=5)


@pytest.fixture(scope="module")
def truth(world: World) -> GroundTruth:
    return world.ground_truth(_bases(world))


@pytest.fixture(scope="module")
def extracted(world: World, truth: GroundTruth) -> dict[str, ExtractedArticle | str]:
    """URL -> extracted article, or the ExtractionError message."""
    bases = _bases(world)
    sites = {portal.key: Site(world, portal, bases[portal.key]) for portal in world.portals}
    out: dict[str, ExtractedArticle | str] = {}
    for url, article in truth.articles.items():
        response = sites[article.portal].respond(url.removeprefix(bases[article.portal]))
        assert response.status == 200, url
        try:
            out[url] = extract_article(response.body, url, content_type=response.content_type)
        except ExtractionError as exc:
            out[url] = f"ExtractionError: {exc}"
    return out


def _expected(article: ArticleTruth) -> dict[str, Any]:
    return {
        "title": article.title,
        "sapo": article.sapo,
        "text": "\n".join(article.body_paragraphs),
        "author": article.author,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
    }


def _same(value: Any, expected: Any) -> bool:
    if isinstance(expected, datetime) or isinstance(value, datetime):
        # the same instant, shown with the same offset (+07:00)
        return (
            isinstance(value, datetime)
            and isinstance(expected, datetime)
            and value == expected
            and value.utcoffset() == expected.utcoffset()
        )
    return bool(value == expected)


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def test_world_covers_styles_and_specials(world: World, truth: GroundTruth) -> None:
    assert {portal.style for portal in world.portals} == {"A", "B", "C"}
    specials = {article.special for article in truth.articles.values()}
    assert {"nfd", "cp1258", "huge", "slow"} <= specials
    assert truth.dup_groups and truth.english_urls


def test_every_field_matches_truth(world: World, truth: GroundTruth, extracted: dict[str, Any]) -> None:
    styles = {portal.key: portal.style for portal in world.portals}
    agree: Counter[str] = Counter()
    pages: Counter[str] = Counter()
    problems: list[str] = []
    for url, article in truth.articles.items():
        style = styles[article.portal]
        pages[style] += 1
        result = extracted[url]
        label = f"[{style}{'/' + article.special if article.special else ''}] {url}"
        if isinstance(result, str):
            problems.append(f"{label}: {result}")
            continue
        wrong = [
            name for name, value in _expected(article).items() if not _same(getattr(result, name), value)
        ]
        agree[style] += not wrong
        expected = _expected(article)
        for name in wrong:
            problems.append(
                f"{label} {name}: got {_short(getattr(result, name))}, want {_short(expected[name])}"
            )
    summary = ", ".join(f"{style} {agree[style]}/{pages[style]}" for style in sorted(pages))
    assert not problems, f"pages agreeing on {'/'.join(FIELDS)}: {summary}\n" + "\n".join(problems[:40])


def test_syndicated_copies_extract_to_identical_text(truth: GroundTruth, extracted: dict[str, Any]) -> None:
    assert truth.dup_groups
    for group, urls in truth.dup_groups.items():
        texts = {extracted[url].text for url in urls if not isinstance(extracted[url], str)}
        assert len(texts) == 1, f"copies of {group} differ: {sorted(urls)}"


def test_special_pages_extract(truth: GroundTruth, extracted: dict[str, Any]) -> None:
    for url, article in truth.articles.items():
        if article.special:
            result = extracted[url]
            assert not isinstance(result, str), f"{article.special} page {url}: {result}"
            assert result.text == "\n".join(article.body_paragraphs), f"{article.special} page {url}"
    cp1258 = [url for url, a in truth.articles.items() if a.special == "cp1258"]
    assert all(extracted[url].encoding == "cp1258" for url in cp1258)


def test_inline_related_links_are_not_in_the_text(
    world: World, truth: GroundTruth, extracted: dict[str, Any]
) -> None:
    styles = {portal.key: portal.style for portal in world.portals}
    with_blocks = [url for url, article in truth.articles.items() if article.inline_related]
    assert {styles[truth.articles[url].portal] for url in with_blocks} == {"A", "B", "C"}
    titles = {article.title for article in truth.articles.values()}
    for url in with_blocks:
        result = extracted[url]
        assert not isinstance(result, str), f"{url}: {result}"
        assert result.text == "\n".join(truth.articles[url].body_paragraphs), url
        labels = ("Xem thêm:", "Đọc thêm:", "Tin liên quan", "TIN LIÊN QUAN", "Bài liên quan:")
        assert not any(label in result.text for label in labels), url
        shown = {line.lstrip("|- ").rstrip("| ") for line in result.text.split("\n")}
        assert not titles & shown, url  # no other article's title
