"""`make bench-search`: search latency with 100,000 articles on SQLite and PostgreSQL (figures, no asserts).

Articles are the replica generator's (many small worlds, as bench-dedup), bulk-inserted with the
search columns the archive writes (storage.search.fields) so the indexes are the real ones. Each
query kind is timed through storage.search.engine.search_articles (count, ranking, one page of 20, snippets).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from storage.db import open_archive
from storage.models import Article, Portal
from storage.search.engine import search_articles
from storage.search.fields import search_fields
from storage.search.filters import SearchFilters
from storage.search.query import WORD
from storage.text import content_hash
from tests.replica import build_world

PORTALS = 5
WORLD_ARTICLES = 1000  # per portal and world: the title generator slows down past a few thousand
QUERIES = 200  # per kind
KINDS = ("one word", "two words", "phrase", "filtered")


def _articles(seed: int) -> list[dict[str, Any]]:
    """Worker: the Vietnamese articles of one replica world as article-row values."""
    world = build_world(portals=PORTALS, articles=WORLD_ARTICLES, seed=seed)
    rows = []
    for portal in world.portals:
        for article in portal.articles:
            if article.language != "vi":
                continue
            generated = world.text(article)
            body = "\n".join(generated.paragraphs)
            rows.append({"portal": portal.key, "title": article.title, "sapo": generated.sapo, "text": body,
                         "published_at": article.published_at, "seed": seed, "aid": article.aid})  # fmt: skip
    return rows


def build(url: str, corpus: list[dict[str, Any]]) -> None:
    """Create the archive at ``url`` and bulk-insert ``corpus`` (search columns as the archive writes)."""
    engine, factory = open_archive(url, create=True)
    now = datetime.now(UTC)
    with factory.begin() as session:
        keys = sorted({row["portal"] for row in corpus})
        session.add_all(Portal(key=key, name=f"Báo {key}", home_url=f"https://{key}.example") for key in keys)
        session.flush()
        ids = {key: session.query(Portal.id).filter_by(key=key).scalar() for key in keys}
    batch: list[dict[str, Any]] = []
    for number, row in enumerate(corpus):
        url_ = f"https://{row['portal']}.example/{row['seed']}/{row['aid']}"
        batch.append({
            "portal_id": ids[row["portal"]], "url": url_, "canonical_url": url_, "title": row["title"],
            "sapo": row["sapo"], "text": row["text"], "categories": [], "tags": [], "date_warnings": [],
            "language": "vi", "language_confidence": 0.99, "status": "archived",
            "content_hash": content_hash(row["text"] + str(number)), "version": 1,
            "first_captured_at": now, "captured_at": now, "published_at": row["published_at"],
            **search_fields(row["title"], row["sapo"], row["text"]),
        })  # fmt: skip
        if len(batch) == 2000:
            with factory.begin() as session:
                session.execute(insert(Article), batch)
            batch = []
    if batch:
        with factory.begin() as session:
            session.execute(insert(Article), batch)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE articles"))
    engine.dispose()


def queries(corpus: list[dict[str, Any]], rng: random.Random) -> dict[str, list[tuple[str, SearchFilters]]]:
    """Return QUERIES queries of each kind, drawn from the corpus's titles."""
    titles = [WORD.findall(row["title"]) for row in corpus]
    titles = [words for words in titles if len(words) >= 4]
    years = sorted({row["published_at"].year for row in corpus})
    out: dict[str, list[tuple[str, SearchFilters]]] = {kind: [] for kind in KINDS}
    for _ in range(QUERIES):
        words = rng.choice(titles)
        start = rng.randrange(len(words) - 2)
        out["one word"].append((words[start], SearchFilters()))
        out["two words"].append((" ".join(words[start : start + 2]), SearchFilters()))
        out["phrase"].append(('"' + " ".join(words[start : start + 3]) + '"', SearchFilters()))
        year = rng.choice(years)
        since = datetime(year, 1, 1, tzinfo=UTC) - timedelta(hours=7)
        window = SearchFilters(
            portals=(rng.choice(sorted({row["portal"] for row in corpus})),), since=since,
            until=since + timedelta(days=183),
        )  # fmt: skip
        out["filtered"].append((" ".join(words[start : start + 2]), window))
    return out


def measure(
    url: str, workload: dict[str, list[tuple[str, SearchFilters]]]
) -> dict[str, tuple[float, float, float]]:
    """Return per kind (p50 ms, p95 ms, mean matches)."""
    engine, factory = open_archive(url, read_only=True)
    results = {}
    with factory() as session:
        for query, filters in workload["two words"][:10]:  # warm caches
            search_articles(session, query, filters)
        for kind, items in workload.items():
            times, totals = [], []
            for query, filters in items:
                started = time.perf_counter()
                page = search_articles(session, query, filters, limit=20)
                times.append((time.perf_counter() - started) * 1000)
                totals.append(page.total)
            times.sort()
            results[kind] = (
                statistics.median(times),
                times[int(0.95 * (len(times) - 1))],
                statistics.mean(totals),
            )
    engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sqlite", default="sqlite:///.bench-search.sqlite3")
    parser.add_argument("--postgres-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    per_world = PORTALS * WORLD_ARTICLES
    seeds = [args.seed * 1000 + i for i in range(-(-args.articles // per_world) + 1)]
    with ProcessPoolExecutor(args.workers) as pool:
        corpus = [row for rows in pool.map(_articles, seeds) for row in rows][: args.articles]
    print(f"generated {len(corpus)} articles in {time.perf_counter() - started:.0f} s", flush=True)
    workload = queries(corpus, random.Random(args.seed))

    database = f"bench_search_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    postgres = args.postgres_admin.rsplit("/", 1)[0] + "/" + database
    sqlite_path = args.sqlite.removeprefix("sqlite:///")
    try:
        for name, url in (("SQLite", args.sqlite), ("PostgreSQL", postgres)):
            if name == "SQLite":
                for suffix in ("", "-wal", "-shm"):
                    Path(sqlite_path + suffix).unlink(missing_ok=True)
            started = time.perf_counter()
            build(url, corpus)
            print(f"\n{name}: loaded and indexed in {time.perf_counter() - started:.0f} s")
            print(f"  {'query':<10} {'p50 ms':>8} {'p95 ms':>8} {'matches (mean)':>15}")
            for kind, (p50, p95, matches) in measure(url, workload).items():
                print(f"  {kind:<10} {p50:8.1f} {p95:8.1f} {matches:15.0f}", flush=True)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(sqlite_path + suffix).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
