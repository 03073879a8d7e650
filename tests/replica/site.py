"""One portal as a website: routes a path to a rendered, cached response (no sockets involved)."""

from __future__ import annotations

import dataclasses
import hashlib
import random
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

from tests.replica import dates, feeds, tpl_a, tpl_b, tpl_c, urls
from tests.replica.html_common import ArticleView, Chrome, Link, ListingView, thumb_src
from tests.replica.textgen import slugify
from tests.replica.world import Article, Category, Extra, Portal, World

TEMPLATES: dict[str, ModuleType] = {"A": tpl_a, "B": tpl_b, "C": tpl_c}
HTML = "text/html; charset=utf-8"
CACHE_SIZE = 512  # rendered responses kept per portal; a page renders in well under 1 ms
HOME_LATEST = 20
HUGE_COMMENTS = 12000  # makes the "huge" article page about 2 MB


@dataclass
class Response:
    """A rendered HTTP response."""

    status: int
    body: bytes
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering ("slow" article)

    @property
    def compressible(self) -> bool:
        """Return True if the body may be gzipped on request."""
        return self.content_type.startswith(("text/", "application/xml", "application/rss+xml"))


def encode_cp1258(text: str) -> bytes:
    """Return ``text`` in windows-1258: tone marks as combining characters, like real legacy pages."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out += (base + tones).encode("cp1258", errors="xmlcharrefreplace")
    return bytes(out)


def listing_paths(portal: Portal) -> list[str]:
    """Return the paths of the home page and every category page (with pagination)."""
    out = ["/"]
    for cat in portal.categories:
        out += [urls.listing_path(portal.style, cat.slug, n) for n in range(1, _pages(portal, cat) + 1)]
    return out


def _pages(portal: Portal, cat: Category) -> int:
    size = portal.listing_size
    return max(1, -(-len(portal.in_category(cat.slug)) // size))


def hot_tags(portal: Portal) -> list[str]:
    """Return the tags the sidebar links to (search pages, robots-disallowed)."""
    return [c.topic.tags[0] for c in portal.categories]


def disallowed_paths(portal: Portal, article_tags: set[str]) -> set[str]:
    """Return every robots-disallowed path the portal links to: print versions and tag searches
    (sidebar tags plus ``article_tags``, the tags of all its articles)."""
    out = {a.print_path for a in portal.articles}
    out.update(urls.search_path(slugify(t)) for t in set(hot_tags(portal)) | article_tags)
    return out


class Site:
    """A portal served at ``base`` (no trailing slash); ``respond`` is thread-safe."""

    def __init__(self, world: World, portal: Portal, base: str, slow_delay: float = 0.3) -> None:
        self.world, self.portal, self.base, self.slow_delay = world, portal, base.rstrip("/"), slow_delay
        self.tpl = TEMPLATES[portal.style]
        self._cache: OrderedDict[str, Response] = OrderedDict()
        self._lock = threading.Lock()
        self.removed: set[str] = set()  # paths taken down (ReplicaServer.remove): they answer 404
        # A template change gone wrong: article pages keep their headline and dates but lose their body
        # text (moved into a gallery of images), so extraction finds no article body (health tests).
        self.template_broken = False
        self.routes: dict[str, tuple[str, object]] = {"/": ("home", None), "/robots.txt": ("robots", None)}
        for cat in portal.categories:
            for n in range(1, _pages(portal, cat) + 1):
                self.routes[urls.listing_path(portal.style, cat.slug, n)] = ("listing", (cat, n))
        for a in portal.articles:
            self.routes[a.path] = ("article", a)
            self.routes[a.print_path] = ("print", a)
            if a.old_path:
                self.routes[a.old_path] = ("redirect", a)
        for e in portal.extras:
            self.routes[e.path] = ("extra", e)
        if portal.discovery == "sitemap":
            self.routes["/sitemap.xml"] = ("sitemap_index", None)
            for path in feeds.sitemap_paths(portal):
                self.routes[path] = ("sitemap", path)
        if portal.discovery == "rss":
            self.routes["/rss/home.rss"] = ("rss", None)
        rng = random.Random(f"{world.seed}:{portal.key}:site")
        self.most_read = rng.sample(portal.articles, k=min(5, len(portal.articles)))
        self.cats = {c.slug: c for c in portal.categories}

    def clear_cache(self) -> None:
        """Forget every rendered response (after ``World.set_edition``)."""
        with self._lock:
            self._cache.clear()

    # ---- links and chrome -------------------------------------------------------------------------
    def href(self, path: str) -> str:
        """Return how the portal writes a link to ``path`` (style B uses absolute URLs)."""
        return self.base + path if self.portal.style == "B" else path

    def _link(self, a: Article, path: str | None = None, summary: bool = False) -> Link:
        text = self.world.text(a).sapo if summary and self.portal.style != "C" else ""
        thumb = self.href(thumb_src(self.portal, a)) if summary else ""
        return Link(self.href(path or a.path), a.title, text, a.published_at, thumb)

    def chrome(self, charset: str = "utf-8") -> Chrome:
        """Return the page chrome (menu, sidebar) of this portal."""
        p = self.portal
        return Chrome(
            portal=p,
            base=self.base,
            menu=[Link(self.href(urls.listing_path(p.style, c.slug, 1)), c.name) for c in p.categories],
            most_read=[self._link(a) for a in self.most_read],
            hot_tags=[Link(self.href(urls.search_path(slugify(t))), t) for t in hot_tags(p)],
            feed=self.base + "/rss/home.rss" if p.discovery == "rss" else "",
            charset=charset,
        )

    # ---- routing ----------------------------------------------------------------------------------
    def respond(self, path_qs: str) -> Response:
        """Return the response for ``path_qs`` (path plus optional "?query"), rendering it at most once."""
        with self._lock:
            cached = self._cache.get(path_qs)
            if cached is not None:
                self._cache.move_to_end(path_qs)
                return cached
        response = self._render(path_qs)
        with self._lock:
            self._cache[path_qs] = response
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return response

    def _render(self, path_qs: str) -> Response:
        route = None if path_qs in self.removed else self.routes.get(path_qs)
        if route is None:
            parts = urlsplit(path_qs)
            if parts.path == "/tim-kiem/":
                return self._search(parse_qs(parts.query).get("q", [""])[0], path_qs)
            return self._not_found()
        kind, obj = route
        if kind == "home":
            return self._html(self.tpl.home(self.chrome(), self._home_view()))
        if kind == "listing":
            assert isinstance(obj, tuple)
            return self._html(self.tpl.listing(self.chrome(), self._listing_view(*obj)))
        if isinstance(obj, Article):
            if kind == "redirect":
                target = self.base + obj.path
                body = f'<html><body>Moved: <a href="{target}">{target}</a></body></html>'.encode()
                return Response(301, body, headers={"Location": target})
            return self._article(obj, printable=kind == "print")
        if isinstance(obj, Extra):
            return self._binary(obj)
        return self._feed(kind, obj)

    def _html(self, html: str, last_modified: str = "") -> Response:
        body = html.encode("utf-8")
        return Response(200, body, headers=_validators(body, last_modified))

    def _not_found(self) -> Response:
        html = self.tpl.listing(self.chrome(), ListingView("Không tìm thấy trang", self.base + "/", []))
        return Response(404, html.encode("utf-8"))

    def _feed(self, kind: str, obj: object) -> Response:
        p, base = self.portal, self.base
        if kind == "robots":
            return Response(200, feeds.robots_txt(p, base).encode(), "text/plain; charset=utf-8")
        if kind == "rss":
            sapo = {a.key: self.world.text(a).sapo for a in p.latest(feeds.RSS_SIZE)}
            return Response(200, feeds.rss(p, base, sapo).encode(), "application/rss+xml; charset=utf-8")
        if kind == "sitemap_index":
            return Response(200, feeds.sitemap_index(p, base).encode(), "application/xml")
        path = str(obj)
        if path == "/sitemaps/news.xml":
            return Response(200, feeds.news_sitemap(p, base).encode(), "application/xml")
        xml = feeds.month_sitemap(p, base, path.removeprefix("/sitemaps/posts-").removesuffix(".xml"))
        return Response(200, xml.encode(), "application/xml") if xml else self._not_found()

    def _binary(self, extra: Extra) -> Response:
        if extra.kind == "not_found":
            return self._not_found()
        rng = random.Random(f"{self.world.seed}:{self.portal.key}:pdf")
        body = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + rng.randbytes(24000) + b"\n%%EOF\n"
        if self.portal.index % 2:
            name = slugify(extra.title) + ".pdf"
            headers = {"Content-Disposition": f'attachment; filename="{name}"'}
            return Response(200, body, "application/octet-stream", headers)
        return Response(200, body, "application/pdf")

    # ---- views ------------------------------------------------------------------------------------
    def _home_view(self) -> ListingView:
        p = self.portal
        items = [self._link(a, summary=i < 5) for i, a in enumerate(p.latest(HOME_LATEST))]
        blocks = []
        for cat in p.categories:
            cat_link = Link(self.href(urls.listing_path(p.style, cat.slug, 1)), cat.name)
            blocks.append((cat_link, [self._link(a) for a in p.in_category(cat.slug)[:4]]))
        return ListingView(p.name, self.base + "/", items, blocks=blocks)

    def _listing_view(self, cat: Category, page: int) -> ListingView:
        p = self.portal
        size = p.listing_size
        arts = p.in_category(cat.slug)[(page - 1) * size : page * size]
        items = [self._link(a, a.old_path, summary=True) for a in arts]
        if page == 1:
            for e in p.extras:
                if e.category == cat.slug:
                    items.insert(min(1, len(items)), Link(self.href(e.path), e.title, "", e.published_at))
        pages = _pages(p, cat)
        hrefs = [self.href(urls.listing_path(p.style, cat.slug, n)) for n in range(1, pages + 1)]
        url = self.base + urls.listing_path(p.style, cat.slug, page)
        return ListingView(cat.name, url, items, page, pages, hrefs)

    def _search(self, query: str, path_qs: str) -> Response:
        q = slugify(query)
        found = [a for a in reversed(self.portal.articles) if q and q in a.slug][:20]
        view = ListingView(f"Kết quả tìm kiếm: {query}", self.base + path_qs, [self._link(a) for a in found])
        return self._html(self.tpl.listing(self.chrome(), view))

    def _article(self, a: Article, printable: bool) -> Response:
        p = self.portal
        text = self.world.text(a)
        if self.template_broken:
            text = dataclasses.replace(text, sapo="", paragraphs=[], figures=[], comments=[])
        cat = self.cats[a.category]
        siblings = [x for x in p.in_category(a.category) if x is not a and x.published_at <= a.published_at]
        related = [self._link(x) for x in (siblings[:4] or [x for x in p.latest(5) if x is not a][:4])]
        comments = list(text.comments)
        if a.special == "huge":
            pool = [c for c in text.comments] or [("Bạn đọc", text.sapo)]
            comments += [
                (f"{pool[i % len(pool)][0]} ({i})", pool[i % len(pool)][1]) for i in range(HUGE_COMMENTS)
            ]
        view = ArticleView(
            article=a,
            text=text,
            url=self.base + a.path,
            category=Link(self.href(urls.listing_path(p.style, cat.slug, 1)), cat.name),
            related=related,
            tags=[Link(self.href(urls.search_path(slugify(t))), t) for t in text.tags],
            print_href=self.href(a.print_path),
            comments=comments,
            lang=a.language,
        )
        charset = "windows-1258" if a.special == "cp1258" else "utf-8"
        html = (self.tpl.print_page if printable else self.tpl.article)(self.chrome(charset), view)
        modified = dates.http_date(a.updated_at or a.published_at)
        if a.special == "nfd":
            html = unicodedata.normalize("NFD", html)
        if a.special == "cp1258":
            body = encode_cp1258(html)
            response = Response(200, body, "text/html; charset=windows-1258", _validators(body, modified))
        else:
            response = self._html(html, modified)
        if a.special == "slow":
            response.delay = self.slow_delay
        return response


def _validators(body: bytes, last_modified: str) -> dict[str, str]:
    headers = {"ETag": '"' + hashlib.sha1(body).hexdigest()[:20] + '"'}
    if last_modified:
        headers["Last-Modified"] = last_modified
    return headers
