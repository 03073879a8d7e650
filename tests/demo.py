"""`make demo`: serve the replica portal on 127.0.0.x, crawl it into demo.sqlite3, show what to try next.

The demo keeps to itself: its own archive (demo.sqlite3, never the real archive.sqlite3), portal keys
prefixed ``demo-`` (never a real portal's key), and fixed addresses (127.0.0.2 and up, port 8651), so a
second run finds the same URLs and is reported as a recrawl of an unchanged portal, not as copies.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.replica import ReplicaServer, build_world
from tests.replica.dates import edit_time
from tests.replica.truth import GroundTruth

DEMO_DB = "sqlite:///demo.sqlite3"
DEMO_PORT = 8651  # any fixed port: each portal has its own loopback address, so one port serves all
KEY_PREFIX = "demo-"
FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "LOG_LEVEL=WARNING"]


def write_registry(entries: list[dict[str, Any]], path: Path) -> Path:
    """Write the replica's portals as a registry file, in the format of crawler/portals.toml."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# The replica portal's registry, written by `make demo`.", ""]
    for entry in entries:
        lines.append("[[portal]]")
        for name, value in entry.items():
            if value:  # json.dumps writes valid TOML basic strings and arrays of them
                lines.append(f"{name} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--portals", type=int, default=3)
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--edition", type=int, default=0, help="1: some articles are edited now (recrawl: new versions)"
    )
    parser.add_argument("--db", default=DEMO_DB, help=f"archive URL (default {DEMO_DB})")
    parser.add_argument(
        "--port",
        type=int,
        default=DEMO_PORT,
        help=f"port on every portal (default {DEMO_PORT}; 0 picks a free one, shown in the portals' URLs)",
    )
    args = parser.parse_args(argv)

    world = build_world(portals=args.portals, articles=args.articles, seed=args.seed)
    if args.edition:
        world.set_edition(args.edition, edited_at=edit_time(0))
    try:
        server = ReplicaServer(world, first_host=2, port=args.port).start()
    except OSError as exc:
        other = args.port + 1 if args.port else DEMO_PORT
        print(
            f"error: cannot serve the replica on 127.0.0.2+:{args.port} ({exc.strerror}); choose another "
            f"port: make demo PORT={other} (or python -m tests.demo --port {other})",
            file=sys.stderr,
        )
        return 2
    try:
        truth = server.ground_truth()
        foreign = _foreign_articles(args.db, truth)
        if foreign:
            # Crawling this demo into that archive would mix two worlds (different articles, and copies
            # of one marked as duplicates of the other): refuse, and say how to start afresh.
            print(
                f"error: {args.db} holds another demo ({foreign} of its articles are not in this "
                f"{args.portals} x {args.articles} demo, seed {args.seed}); {_afresh(args.db)}",
                file=sys.stderr,
            )
            return 2
        print(f"replica portal: {args.portals} portals x {args.articles} articles")
        for key, url in server.home_urls.items():
            print(f"  {KEY_PREFIX + key:<16} {url}")
        entries = [{**entry, "key": KEY_PREFIX + entry["key"]} for entry in server.registry_entries()]
        registry = write_registry(entries, Path(".demo/portals.toml"))
        script = Path(sys.executable).with_name("newsarchive")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "crawler"]
        keys = [entry["key"] for entry in entries]
        again = _has_runs(args.db)
        what = "recrawling (the archive already holds this demo)" if again else "crawling"
        print(f"\n{what} into {args.db} (registry {registry}) ...\n", flush=True)
        crawl = [*command, "crawl", *keys, "--registry", str(registry), "--db", args.db, *FAST]
        result = subprocess.run(crawl, check=False)
        if result.returncode != 0:
            return result.returncode
        sample = next(t for t in truth.articles.values() if t.language == "vi")
        port = server.port
        # Only a portal with sitemaps tells a recrawl (by a newer lastmod) that an article changed; the
        # feed and listing portals' edited articles are not fetched again, so show one of the former.
        told = tuple(server.base_urls[p.key] + "/" for p in world.portals if p.discovery == "sitemap")
    finally:
        server.stop()
    watched = sorted(url for url in truth.edited_urls if url.startswith(told))
    shown, edited = _article_ids(args.db, [sample.url]), _article_ids(args.db, watched)
    print(try_next(args, registry, port, " ".join(sample.title.split()[:2]), shown, edited))
    return 0


def try_next(
    args: argparse.Namespace, registry: Path, port: int, query: str, shown: list[int], edited: list[int]
) -> str:
    """Return what to try next: exact commands to read the demo archive, recrawl it (the replica runs
    again first, in a terminal of its own), see a new version of an edited article, and browse it."""
    db = f"--db {args.db}"
    replica = (
        f"python -m tests.replica --portals {args.portals} --articles {args.articles} --seed {args.seed} "
        f"--port {port}"
    )
    crawl = f"newsarchive crawl --registry {registry} {db}"
    article = shown[0] if shown else 1
    changed = edited[0] if edited else article
    return "\n".join([
        "",
        "Try next (first `. .venv/bin/activate`):",
        f'  newsarchive search "{query}" {db}',
        f"  newsarchive show {article} {db}",
        f"  newsarchive export --format csv -o .demo/articles.csv {db}   # UTF-8 with BOM, opens in Excel",
        f"  newsarchive runs {db}",
        f"  newsarchive serve {db}          # browse it at http://127.0.0.1:8080/ (Ctrl-C stops)",
        "",
        "Recrawl it: the replica stopped with the demo; start it again in another terminal (Ctrl-C stops it)",
        f"  {replica}",
        f"  {crawl}",
        "",
        "See a new version: restart the replica serving its edited articles, recrawl, show one of them",
        f"  {replica} --edition 1",
        f"  {crawl}",
        f"  newsarchive show {changed} {db}          # its versions; --diff 1 2 --words shows what changed",
        "",
    ])  # fmt: skip


def _afresh(url: str) -> str:
    """How to start a demo afresh at ``url``: remove its SQLite file, or choose another archive."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return f"remove it first (rm {parsed.database}*) or give another --db"
    return "give another --db"


def _foreign_articles(url: str, truth: GroundTruth) -> int:
    """Return how many of the demo portals' articles in the archive at ``url`` this demo's world does not
    have (another size or seed makes other articles; the port does not matter); 0 for no archive."""
    from sqlalchemy import select

    from storage.db import ArchiveUnavailable, open_archive
    from storage.models import Article, Portal

    ours = {
        (KEY_PREFIX + article.portal, urlsplit(address).path) for address, article in truth.articles.items()
    }
    try:
        engine, factory = open_archive(url)
    except ArchiveUnavailable:
        return 0
    try:
        with factory() as session:
            rows = session.execute(
                select(Portal.key, Article.url)
                .join(Portal, Portal.id == Article.portal_id)
                .where(Portal.key.startswith(KEY_PREFIX))
            )
            return sum((key, urlsplit(address).path) not in ours for key, address in rows)
    finally:
        engine.dispose()


def _article_ids(url: str, addresses: list[str]) -> list[int]:
    """Return the ids of the archived articles at ``addresses`` (any port), lowest first."""
    from sqlalchemy import select

    from storage.db import open_archive
    from storage.models import Article

    paths = {urlsplit(address).path for address in addresses}
    engine, factory = open_archive(url)
    try:
        with factory() as session:
            rows = session.execute(select(Article.id, Article.url).order_by(Article.id))
            return [number for number, address in rows if urlsplit(address).path in paths]
    finally:
        engine.dispose()


def _has_runs(url: str) -> bool:
    """Whether the archive at ``url`` exists and has recorded a crawl (this run is then a recrawl)."""
    from sqlalchemy import func, select

    from storage.db import ArchiveUnavailable, open_archive
    from storage.models import CrawlRun

    try:
        engine, factory = open_archive(url)
    except ArchiveUnavailable:
        return False
    try:
        with factory() as session:
            return bool(session.scalar(select(func.count()).select_from(CrawlRun)))
    finally:
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
