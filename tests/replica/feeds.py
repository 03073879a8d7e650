"""robots.txt, sitemap index, sitemaps (one with the Google News namespace) and RSS 2.0 of a portal."""

from __future__ import annotations

from xml.sax.saxutils import escape

from tests.replica import dates
from tests.replica.world import Article, Portal

NEWS_SITEMAP_SIZE = 50  # newest articles in the Google News sitemap
RSS_SIZE = 30  # newest articles in the RSS feed
ROBOTS_DISALLOWED = ("/tim-kiem/", "/ban-in/")


def robots_txt(portal: Portal, base: str) -> str:
    """Return robots.txt: Disallow search and print pages; a Sitemap line on sitemap portals."""
    lines = ["# robots.txt for " + portal.name, "User-agent: *"]
    lines += [f"Disallow: {path}" for path in ROBOTS_DISALLOWED]
    lines += ["", "User-agent: GPTBot", "Disallow: /", ""]
    if portal.discovery == "sitemap":
        lines.append(f"Sitemap: {base}/sitemap.xml")
    return "\n".join(lines) + "\n"


def _lastmod(a: Article) -> str:
    return dates.iso(a.updated_at or a.published_at)


def months(portal: Portal) -> dict[str, list[Article]]:
    """Return the portal's articles grouped by "YYYY-MM" of publication, oldest month first."""
    out: dict[str, list[Article]] = {}
    for a in portal.articles:
        out.setdefault(f"{a.published_at:%Y-%m}", []).append(a)
    return out


def sitemap_paths(portal: Portal) -> list[str]:
    """Return the paths of the child sitemaps listed in the sitemap index."""
    return ["/sitemaps/news.xml"] + [f"/sitemaps/posts-{m}.xml" for m in months(portal)]


def sitemap_index(portal: Portal, base: str) -> str:
    """Return the sitemap index."""
    groups = months(portal)
    entries = [f"<sitemap><loc>{base}/sitemaps/news.xml</loc></sitemap>"]
    for month, arts in groups.items():
        last = max(_lastmod(a) for a in arts)
        entries.append(
            f"<sitemap><loc>{base}/sitemaps/posts-{month}.xml</loc><lastmod>{last}</lastmod></sitemap>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(entries)
        + "\n</sitemapindex>\n"
    )


def month_sitemap(portal: Portal, base: str, month: str) -> str | None:
    """Return the URL set of the articles published in ``month`` ("2024-04"), or None if none."""
    arts = months(portal).get(month)
    if not arts:
        return None
    urls = [
        f"<url><loc>{escape(base + a.path)}</loc><lastmod>{_lastmod(a)}</lastmod>"
        "<changefreq>monthly</changefreq><priority>0.6</priority></url>"
        for a in arts
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(urls) + "\n</urlset>\n"
    )


def news_sitemap(portal: Portal, base: str) -> str:
    """Return the Google News sitemap of the newest articles."""
    urls = []
    for a in portal.latest(NEWS_SITEMAP_SIZE):
        urls.append(
            f"<url><loc>{escape(base + a.path)}</loc><lastmod>{_lastmod(a)}</lastmod><news:news>"
            f"<news:publication><news:name>{escape(portal.name)}</news:name>"
            f"<news:language>{a.language}</news:language></news:publication>"
            f"<news:publication_date>{dates.iso(a.published_at)}</news:publication_date>"
            f"<news:title>{escape(a.title)}</news:title></news:news></url>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + "\n".join(urls) + "\n</urlset>\n"
    )


def rss(portal: Portal, base: str, sapo: dict[str, str]) -> str:
    """Return the RSS 2.0 feed of the newest articles; ``sapo`` maps article key -> lead paragraph."""
    latest = portal.latest(RSS_SIZE)
    items = []
    for a in latest:
        url = escape(base + a.path)
        items.append(
            f"<item><title>{escape(a.title)}</title><link>{url}</link>"
            f"<description><![CDATA[{sapo.get(a.key, '')}]]></description>"
            f"<category>{escape(a.topic.name)}</category>"
            f'<pubDate>{dates.rfc822(a.published_at)}</pubDate><guid isPermaLink="true">{url}</guid></item>'
        )
    build = dates.rfc822(latest[0].published_at) if latest else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        f"<title>{escape(portal.name)} - Tin mới nhất</title>\n<link>{base}/</link>\n"
        f"<description>Tin tức tỉnh {escape(portal.province.name)}</description>\n<language>vi</language>\n"
        f'<lastBuildDate>{build}</lastBuildDate>\n<atom:link href="{base}/rss/home.rss" rel="self" '
        'type="application/rss+xml"/>\n' + "\n".join(items) + "\n</channel>\n</rss>\n"
    )
