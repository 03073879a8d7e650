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

from tests.replica import ReplicaServer, build_world
from tests.replica.dates import edit_time

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
        print(
            f"error: cannot serve the replica on 127.0.0.2+:{args.port} ({exc.strerror}); try --port",
            file=sys.stderr,
        )
        return 2
    try:
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
        sample = next(t for t in server.ground_truth().articles.values() if t.language == "vi")
    finally:
        server.stop()
    query = " ".join(sample.title.split()[:2])
    db = f" --db {args.db}"
    print(
        "\nTry next (activate with `. .venv/bin/activate`):\n"
        f'  newsarchive search "{query}"{db}\n'
        f"  newsarchive show 1{db}\n"
        f"  newsarchive export --format jsonl{db} | head -n 2\n"
        f"  newsarchive runs{db}\n" + _versioned_hint(args.db)
    )
    return 0


def _versioned_hint(url: str) -> str:
    """A line showing the changes of an article archived in two versions (after ``--edition 1``), or ""."""
    from sqlalchemy import select

    from storage.db import open_archive
    from storage.models import Article

    engine, factory = open_archive(url)
    try:
        with factory() as session:
            found = session.scalar(
                select(Article.id).where(Article.version > 1).order_by(Article.id).limit(1)
            )
    finally:
        engine.dispose()
    return f"  newsarchive show {found} --diff 1 2 --words --db {url}\n" if found else ""


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
