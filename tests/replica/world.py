"""The replica's site model: portals, categories and articles, built purely from a seed (no sockets)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tests.replica import urls
from tests.replica.dates import VN_TZ
from tests.replica.english import english_article
from tests.replica.textgen import (
    ArticleText,
    NearEdit,
    Variant,
    apply_near,
    make_article,
    make_head,
    placed_title,
    slugify,
)
from tests.replica.vi_places import PROVINCES, Province
from tests.replica.vi_topics import TOPICS, Topic

if TYPE_CHECKING:
    from tests.replica.truth import GroundTruth

START = datetime(2024, 1, 1, tzinfo=VN_TZ)
DAYS = 731  # 2024-01-01 .. 2025-12-31
COPY_SHARE = 0.05  # share of a portal's articles that are syndicated copies (portals 1+)
UPDATED_SHARE = 0.1  # share of articles with an "updated" time on styles that show it
EDITED_SHARE = 0.03  # share of articles whose text changes in edition 1 (at least one per portal)
LAST_UPDATE = START + timedelta(days=DAYS - 4)  # updates stay within 2025
TEXT_CACHE_SIZE = 4096
TITLE_ATTEMPTS = 40  # places tried to tell a repeated headline apart (see textgen.placed_title); 1-2 suffice


@dataclass(eq=False)
class Article:
    """One article page of a portal (or a syndicated copy of another portal's article)."""

    portal: str
    aid: int
    key: str  # text seed; syndicated copies share their origin's key
    province: Province  # province the text is about (the origin's)
    topic: Topic
    text_date: datetime  # date the text was written for (the origin's published date)
    published_at: datetime
    title: str
    author: str | None
    category: str  # category URL slug on this portal
    path: str = ""
    print_path: str = ""
    updated_at: datetime | None = None
    language: str = "vi"
    dup_group: str | None = None
    is_origin: bool = False
    special: str | None = None  # "slow", "nfd", "cp1258", "huge"
    old_path: str | None = None  # served as a 301 to ``path``
    edited_at: datetime | None = None  # set on articles whose text changes from edition 1 on
    slug: str = ""  # title slug used in the URL
    near_group: str | None = None  # near-duplicate group (the origin has is_origin; never with dup_group)
    near: NearEdit | None = None  # set on near copies: how the text differs from the origin's
    variant: Variant | None = None  # set on the second article of a templated-report pair


@dataclass(frozen=True)
class Category:
    """A category of a portal."""

    slug: str
    name: str
    topic: Topic


@dataclass(frozen=True)
class Extra:
    """A listing entry that is not an article: a 404 link or a binary file at an article-like URL."""

    kind: str  # "not_found" or "binary"
    path: str
    title: str
    category: str
    published_at: datetime


@dataclass(eq=False)
class Portal:
    """One provincial news portal."""

    index: int
    key: str
    name: str
    province: Province
    style: str
    css: str  # class-name prefix of this portal's template
    discovery: str  # "sitemap", "rss" or "listing"
    categories: list[Category]
    articles: list[Article] = field(default_factory=list)  # oldest first
    extras: list[Extra] = field(default_factory=list)
    page_size: int = 0  # articles per listing page; 0: the style's (urls.PAGE_SIZE)

    @property
    def listing_size(self) -> int:
        """Return how many articles a listing page of this portal shows."""
        return self.page_size or urls.PAGE_SIZE[self.style]

    @cached_property
    def _by_category(self) -> dict[str, list[Article]]:
        out: dict[str, list[Article]] = {c.slug: [] for c in self.categories}
        for a in reversed(self.articles):
            out[a.category].append(a)
        return out

    def in_category(self, slug: str) -> list[Article]:
        """Return the category's articles, newest first (call once the world is built)."""
        return self._by_category.get(slug, [])

    def latest(self, n: int) -> list[Article]:
        """Return the ``n`` newest articles."""
        return self.articles[::-1][:n]


class World:
    """All portals of one seeded replica; renders nothing and opens no socket."""

    def __init__(self, seed: int, portals: list[Portal]) -> None:
        self.seed = seed
        self.portals = portals
        self._by_key = {p.key: p for p in portals}
        self._texts: dict[str, ArticleText] = {}
        self._lock = threading.Lock()
        self.edition = 0
        self.templated_pairs: list[tuple[Article, Article]] = []  # same report template, other story

    def set_edition(self, edition: int, edited_at: datetime | None = None) -> None:
        """Switch to ``edition``: from 1 on, the edited articles have a revised text and an update time
        (``edited_at`` when given, e.g. the moment of the switch, so a recrawl sees a newer lastmod)."""
        self.edition = edition
        for p in self.portals:
            for a in p.articles:
                if a.edited_at is not None and edited_at is not None:
                    a.edited_at = edited_at
                if a.edited_at is not None and p.style in ("A", "B"):
                    a.updated_at = a.edited_at if edition >= 1 else None
        with self._lock:
            self._texts.clear()

    @property
    def portal_keys(self) -> list[str]:
        """Return the portal keys in order."""
        return [p.key for p in self.portals]

    def portal(self, key: str) -> Portal:
        """Return the portal ``key``; raises KeyError."""
        return self._by_key[key]

    def text(self, article: Article) -> ArticleText:
        """Return the article's text (generated on first use, cached)."""
        revision = self.edition if article.edited_at is not None else 0
        cache_key = f"{article.key}:{article.language}:{revision}"
        if article.near is not None or article.variant is not None:
            cache_key += f":{article.portal}:{article.aid}"
        text = self._texts.get(cache_key)
        if text is None:
            if article.language == "en":
                text = english_article(article.key, article.province.name)
            else:
                text = make_article(
                    article.key, article.province, article.topic, article.text_date, revision, article.variant
                )
                if article.near is not None:
                    text = apply_near(text, article.near, article.title)
            with self._lock:
                if len(self._texts) >= TEXT_CACHE_SIZE:
                    self._texts.clear()
                self._texts[cache_key] = text
        return text

    def registry_entries(self, base_urls: dict[str, str]) -> list[dict[str, Any]]:
        """Return one registry record per portal, with absolute URLs under ``base_urls``."""
        entries = []
        for p in self.portals:
            base = base_urls[p.key]
            entries.append(
                {
                    "key": p.key,
                    "name": p.name,
                    "home_url": base + "/",
                    "article_url_pattern": urls.ARTICLE_PATTERNS[p.style],
                    "listing_url_pattern": urls.LISTING_PATTERNS[p.style],
                    "feeds": [base + "/rss/home.rss"] if p.discovery == "rss" else [],
                    "sitemaps": [base + "/sitemap.xml"] if p.discovery == "sitemap" else [],
                }
            )
        return entries

    def ground_truth(self, base_urls: dict[str, str]) -> GroundTruth:
        """Return the ground truth with absolute URLs under ``base_urls``."""
        from tests.replica.truth import build_truth

        return build_truth(self, base_urls)


def _portal_shell(index: int) -> Portal:
    province = PROVINCES[index % len(PROVINCES)]
    cycle = index // len(PROVINCES)
    key = province.key + (str(cycle + 1) if cycle else "")
    name = f"Báo {province.name}" + (f" {cycle + 1}" if cycle else "")
    style = urls.STYLES[index % len(urls.STYLES)]
    discovery = {0: "sitemap", 1: "rss"}.get(index, "listing")
    cats = [Category(urls.category_slug(style, t.slug), t.name, t) for t in TOPICS]
    css = province.abbr.lower() + str(cycle or "")
    return Portal(index, key, name, province, style, css, discovery, cats)


def _dates(rng: random.Random, n: int) -> list[datetime]:
    out = []
    for _ in range(n):
        day = rng.randrange(DAYS)
        out.append(START + timedelta(days=day, hours=rng.randint(6, 22), minutes=rng.randrange(60)))
    return out


def _new_article(
    portal: Portal, rng: random.Random, seed: int, n: int, when: datetime, titles: set[str]
) -> Article:
    """Return a new article whose title is not in ``titles`` (real portals rarely repeat a title)."""
    topic = rng.choices(TOPICS, weights=(5, 4, 4, 3, 2, 3))[0]
    key = f"{seed}:{portal.key}:{n}"
    title, author = make_head(key, portal.province, topic, when)
    headline = title
    for attempt in range(TITLE_ATTEMPTS):
        if title not in titles:
            break
        title = placed_title(headline, key, attempt)
    titles.add(title)
    return Article(
        portal=portal.key,
        aid=0,
        key=key,
        province=portal.province,
        topic=topic,
        text_date=when,
        published_at=when,
        title=title,
        author=None if rng.random() < 0.1 else author,
        category=urls.category_slug(portal.style, topic.slug),
    )


def _copy_of(portal: Portal, origin: Article, rng: random.Random) -> Article:
    when = origin.published_at + timedelta(hours=rng.randint(2, 36), minutes=rng.randrange(60))
    return Article(
        portal=portal.key,
        aid=0,
        key=origin.key,
        province=origin.province,
        topic=origin.topic,
        text_date=origin.text_date,
        published_at=when,
        title=origin.title,
        author=origin.author,
        category=urls.category_slug(portal.style, origin.topic.slug),
    )


def _fill_portal(
    portal: Portal,
    earlier: list[Portal],
    n_articles: int,
    seed: int,
    groups: list[int],
    specials: list[str],
    titles: set[str],
) -> None:
    rng = random.Random(f"{seed}:{portal.key}:world")
    limit = START + timedelta(days=DAYS - 3)
    candidates = [
        a
        for p in earlier
        for a in p.articles
        if a.special is None
        and a.language == "vi"
        and a.old_path is None
        and a.edited_at is None
        and a.published_at < limit
        and (a.dup_group is None or a.is_origin)
    ]
    n_copies = max(1, round(n_articles * COPY_SHARE)) if n_articles >= 3 else 0
    n_copies = min(n_copies, len(candidates))
    own = [
        _new_article(portal, rng, seed, n, when, titles)
        for n, when in enumerate(_dates(rng, n_articles - n_copies))
    ]
    copies = []
    for origin in rng.sample(candidates, k=n_copies):
        if origin.dup_group is None:
            groups[0] += 1
            origin.dup_group, origin.is_origin = f"dup-{groups[0]:04d}", True
        copy = _copy_of(portal, origin, rng)
        copy.dup_group = origin.dup_group
        copies.append(copy)
    articles = sorted(own + copies, key=lambda a: (a.published_at, a.key))
    aid = urls.ID_BASE[portal.style] + 2000 + rng.randrange(50000)
    for a in articles:
        aid += rng.randint(1, 37)
        a.aid = aid
    portal.articles = articles
    _assign_specials(portal, rng, [a for a in own if a.dup_group is None], specials)
    for a in articles:
        a.slug = slugify(a.title)
        a.path = urls.article_path(portal.style, a.category, a.slug, a.aid, a.published_at)
        a.print_path = urls.print_path(portal.style, a.slug, a.aid, a.published_at)
        if a.old_path == "":
            words = a.slug.split("-")
            old_slug = "-".join(words[: max(2, len(words) // 2)]) + "-cu"
            a.old_path = urls.article_path(portal.style, a.category, old_slug, a.aid, a.published_at)
    _add_extras(portal, rng)


def _assign_specials(portal: Portal, rng: random.Random, plain: list[Article], specials: list[str]) -> None:
    """Mark the redirect, ``specials`` (english/slow/nfd/cp1258/huge) and updated articles of ``portal``."""
    pool = list(plain)
    rng.shuffle(pool)
    wanted = ["redirect", *specials]
    for what in wanted:
        if not pool:
            break
        a = pool.pop()
        if what == "redirect":
            a.old_path = ""  # filled in once the path is known
        elif what == "english":
            a.language = "en"
            a.title = english_article(a.key, a.province.name).title
            a.author = None
        else:
            a.special = what
    if pool:
        for a in pool[: max(1, round(len(portal.articles) * EDITED_SHARE))]:
            if a.published_at < LAST_UPDATE:
                a.edited_at = a.published_at + timedelta(days=rng.randint(1, 3), minutes=rng.randrange(600))
    if portal.style in ("A", "B"):
        for a in portal.articles:
            unmarked = (
                a.special is None and a.dup_group is None and a.edited_at is None and a.language == "vi"
            )
            if unmarked and a.published_at < LAST_UPDATE and rng.random() < UPDATED_SHARE:
                a.updated_at = a.published_at + timedelta(hours=rng.randint(1, 72), minutes=rng.randrange(60))


def _add_extras(portal: Portal, rng: random.Random) -> None:
    """Add one 404 link and one binary file at an article-like URL to two category listings."""
    style = portal.style
    extra_id = urls.ID_BASE[style] + rng.randrange(1000)
    when = START + timedelta(days=rng.randrange(DAYS), hours=9)
    specs = (
        ("not_found", "Thông báo tuyển dụng viên chức năm 2024 đã hết hạn", portal.categories[2]),
        ("binary", "Toàn văn Nghị quyết kỳ họp HĐND tỉnh", portal.categories[0]),
    )
    for offset, (kind, title, cat) in enumerate(specs):
        path = urls.article_path(style, cat.slug, slugify(title), extra_id + offset, when)
        portal.extras.append(Extra(kind, path, title, cat.slug, when))


def build_world(
    portals: int = 3, articles: int = 150, seed: int = 1, edition: int = 0, page_size: int = 0
) -> World:
    """Return the seeded replica world: ``portals`` portals with ``articles`` articles each.

    Pure and deterministic (no sockets, no clock); ``edition`` >= 1 serves the edited articles' revised
    text (see ``World.set_edition``). Near copies, an NFD exact copy and templated-report pairs are added
    last (see ``tests.replica.variants``), in place of ordinary articles: every portal keeps ``articles``.
    ``page_size`` > 0 shows that many articles per listing page (long pagination series from few
    articles). Raises ValueError on non-positive sizes.
    """
    if portals < 1 or articles < 1:
        raise ValueError("portals and articles must be >= 1")
    shells = [_portal_shell(i) for i in range(portals)]
    for shell in shells:
        shell.page_size = max(0, page_size)
    last = portals - 1
    where = {"english": 0, "slow": 0, "nfd": min(1, last), "cp1258": min(2, last), "huge": min(3, last)}
    groups = [0]
    titles: set[str] = set()
    for i, portal in enumerate(shells):
        specials = [what for what, index in where.items() if index == i]
        _fill_portal(portal, shells[:i], articles, seed, groups, specials, titles)
    from tests.replica.variants import add_near_duplicates

    pairs = add_near_duplicates(shells, seed, titles)
    world = World(seed, shells)
    world.templated_pairs = pairs
    if edition:
        world.set_edition(edition)
    return world
