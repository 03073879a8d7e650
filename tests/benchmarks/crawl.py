"""`make bench`: crawl a large replica end to end (spider, extraction, language, dedup, archive), timed."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from storage.db import open_archive
from storage.models import Article, Capture
from tests.replica import ReplicaServer, build_world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--portals", type=int, default=5)
    parser.add_argument("--articles", type=int, default=1000, help="articles per portal")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--db", help="archive URL (default: a new SQLite file in a temporary directory)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{tmp}/bench.sqlite3"
        world = build_world(portals=args.portals, articles=args.articles, seed=args.seed)
        with ReplicaServer(world, first_host=2, port=0, slow_delay=0.0) as server:
            starts = [arg for url in server.home_urls.values() for arg in ("--start-url", url)]
            script = Path(sys.executable).with_name("newsarchive")
            command = [str(script)] if script.exists() else [sys.executable, "-m", "crawler"]
            print(f"replica: {args.portals} portals x {args.articles} articles; archive {db}", flush=True)
            started = time.perf_counter()
            result = subprocess.run(
                [
                    *command,
                    "crawl",
                    *starts,
                    "--db",
                    db,
                    "--set",
                    "DOWNLOAD_DELAY=0",
                    "--set",
                    "AUTOTHROTTLE_ENABLED=False",
                    "--set",
                    "LOG_LEVEL=WARNING",
                ],
                env={**os.environ},
                check=False,
            )
            elapsed = time.perf_counter() - started
        if result.returncode != 0:
            return result.returncode
        engine, factory = open_archive(db)
        with factory() as session:
            articles = session.scalar(select(func.count()).select_from(Article)) or 0
            captures = session.scalar(select(func.count()).select_from(Capture)) or 0
        engine.dispose()
        size = Path(f"{tmp}/bench.sqlite3").stat().st_size if not args.db else 0
    print(f"\nwall time (process start to exit): {elapsed:.1f} s")
    print(f"articles archived: {articles:,} ({articles / elapsed:.1f} articles/s), captures: {captures:,}")
    if size:
        print(f"SQLite archive size: {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
