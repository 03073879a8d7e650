"""Ground truth of a replica world: which URLs are articles, their text and dates, duplicates, traps."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.replica.world import World


@dataclass
class ArticleTruth:
    """What a perfect crawl + extraction yields for one article URL."""

    url: str
    portal: str
    title: str
    published_at: datetime
    updated_at: datetime | None
    language: str
    body_paragraphs: list[str]
    dup_group: str | None
    is_origin: bool
    sapo: str
    author: str | None
    category: str
    special: str | None = None  # "slow", "nfd" (served NFD), "cp1258" (served windows-1258), "huge"
    near_group: str | None = None  # near-duplicate group (edited syndicated copy); never with dup_group
    # Related-article lines/boxes the page shows between body paragraphs ("Xem thêm:", "Tin liên quan");
    # boilerplate, so never in body_paragraphs.
    inline_related: int = 0


@dataclass
class GroundTruth:
    """Everything tests need to score a crawl; all URLs are absolute."""

    portal_keys: list[str]
    base_urls: dict[str, str]
    articles: dict[str, ArticleTruth] = field(default_factory=dict)
    listing_urls: set[str] = field(default_factory=set)
    disallowed_urls: set[str] = field(default_factory=set)
    redirects: dict[str, str] = field(default_factory=dict)
    not_found_urls: set[str] = field(default_factory=set)
    binary_urls: set[str] = field(default_factory=set)
    english_urls: set[str] = field(default_factory=set)
    dup_groups: dict[str, set[str]] = field(default_factory=dict)  # exact copies (the origin is earliest)
    near_groups: dict[str, set[str]] = field(default_factory=dict)  # edited copies (the origin is earliest)
    templated_pairs: list[tuple[str, str]] = field(default_factory=list)  # look-alikes, NOT duplicates
    feed_urls: set[str] = field(default_factory=set)
    sitemap_urls: set[str] = field(default_factory=set)
    edited_urls: set[str] = field(default_factory=set)  # articles whose text changes in edition 1
    edition: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (sets as sorted lists, datetimes as ISO 8601)."""
        out: dict[str, Any] = {}
        for name, value in asdict(self).items():
            if isinstance(value, set):
                out[name] = sorted(value)
            elif name in ("dup_groups", "near_groups"):
                out[name] = {k: sorted(v) for k, v in sorted(value.items())}
            elif name == "templated_pairs":
                out[name] = [list(pair) for pair in sorted(value)]
            elif name == "articles":
                out[name] = {url: _article_json(a) for url, a in sorted(value.items())}
            else:
                out[name] = value
        return out

    def to_json(self, indent: int | None = None) -> str:
        """Return the truth as a JSON string (see ``to_dict``)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_json(cls, text: str) -> GroundTruth:
        """Return the truth parsed from ``to_json`` output; raises ValueError/KeyError on bad input."""
        raw = json.loads(text)
        articles = {}
        for url, a in raw["articles"].items():
            a = dict(a)
            a["published_at"] = datetime.fromisoformat(a["published_at"])
            a["updated_at"] = datetime.fromisoformat(a["updated_at"]) if a["updated_at"] else None
            articles[url] = ArticleTruth(**a)
        sets = (
            "listing_urls",
            "disallowed_urls",
            "not_found_urls",
            "binary_urls",
            "english_urls",
            "edited_urls",
        )
        return cls(
            portal_keys=raw["portal_keys"],
            base_urls=raw["base_urls"],
            articles=articles,
            redirects=raw["redirects"],
            dup_groups={k: set(v) for k, v in raw["dup_groups"].items()},
            near_groups={k: set(v) for k, v in raw.get("near_groups", {}).items()},
            templated_pairs=[(first, second) for first, second in raw.get("templated_pairs", [])],
            feed_urls=set(raw.get("feed_urls", [])),
            sitemap_urls=set(raw.get("sitemap_urls", [])),
            edition=raw.get("edition", 0),
            **{name: set(raw[name]) for name in sets},
        )


def _article_json(a: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    out["published_at"] = a["published_at"].isoformat()
    out["updated_at"] = a["updated_at"].isoformat() if a["updated_at"] else None
    return out


def build_truth(world: World, base_urls: dict[str, str]) -> GroundTruth:
    """Return the ground truth of ``world`` served at ``base_urls`` (portal key -> base URL)."""
    from tests.replica.site import disallowed_paths, listing_paths

    truth = GroundTruth(portal_keys=world.portal_keys, base_urls=dict(base_urls), edition=world.edition)
    for portal in world.portals:
        base = base_urls[portal.key]
        tags: set[str] = set()
        for a in portal.articles:
            url = base + a.path
            text = world.text(a)
            tags.update(text.tags)
            truth.articles[url] = ArticleTruth(
                url=url,
                portal=portal.key,
                title=a.title,
                published_at=a.published_at,
                updated_at=a.updated_at,
                language=a.language,
                body_paragraphs=list(text.paragraphs),
                dup_group=a.dup_group,
                is_origin=a.is_origin,
                sapo=text.sapo,
                author=a.author,
                category=a.topic.name,
                special=a.special,
                near_group=a.near_group,
                inline_related=len(text.related_at) if len(portal.articles) > 1 else 0,  # needs a link target
            )
            if a.language == "en":
                truth.english_urls.add(url)
            if a.dup_group:
                truth.dup_groups.setdefault(a.dup_group, set()).add(url)
            if a.near_group:
                truth.near_groups.setdefault(a.near_group, set()).add(url)
            if a.old_path:
                truth.redirects[base + a.old_path] = url
            if a.edited_at:
                truth.edited_urls.add(url)
        for extra in portal.extras:
            (truth.not_found_urls if extra.kind == "not_found" else truth.binary_urls).add(base + extra.path)
        truth.listing_urls.update(base + p for p in listing_paths(portal))
        truth.disallowed_urls.update(base + p for p in disallowed_paths(portal, tags))
        if portal.discovery == "rss":
            truth.feed_urls.add(base + "/rss/home.rss")
        if portal.discovery == "sitemap":
            truth.sitemap_urls.add(base + "/sitemap.xml")
    pairs = [(base_urls[a.portal] + a.path, base_urls[b.portal] + b.path) for a, b in world.templated_pairs]
    truth.templated_pairs = sorted(pairs)
    return truth
