"""`make bench-dedup`: the archive's near-duplicate index at scale: crawl start-up, per-article decision
time, and near-copy precision/recall, with 100,000 replica articles (and optionally 1,000,000 signatures).

Texts come from the replica's generator (templated provincial news: many articles share templates and
differ only in names and numbers, the hard case). ``--fingerprints`` pads the index with random
signatures (articles whose text nobody queries) to measure how the costs grow with the archive.
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, insert, text

from pipelines import dedup
from pipelines.detect.neardup import NUM_PERM, signature
from storage import fingerprints
from storage.articles import ArticleData, archive_article
from storage.captures import CaptureData
from storage.db import open_archive
from storage.models import Article, ArticleBand, ArticleFingerprint
from storage.search.fields import search_fields
from storage.text import content_hash
from tests.replica import build_world

PORTALS = 5
# Articles per generated world: the replica's title generator slows down sharply past a few thousand
# articles per portal (it retries to keep titles unique), so the corpus is many worlds of this size.
WORLD_ARTICLES = 1000
INSERT_CHUNK = 5000
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _texts(args: tuple[int, int]) -> list[tuple[str, bytes, str | None]]:
    """Worker: text, signature and copy group (the replica's own syndicated copies) of every article."""
    seed, per_portal = args
    world = build_world(portals=PORTALS, articles=per_portal, seed=seed)
    out = []
    for article in (a for portal in world.portals for a in portal.articles):
        text = "\n".join(world.text(article).paragraphs)
        group = article.dup_group or article.near_group
        out.append((text, signature(text), f"{seed}:{group}" if group else None))
    return out


def _row(article_id: int, text: str) -> dict[str, Any]:
    url = f"https://bench{article_id % 50}.vn/bai-viet-{article_id}.html"
    return {
        "id": article_id, "url": url, "canonical_url": url, "text": text, "content_hash": content_hash(text),
        "language": "vi", "language_confidence": 0.9, "status": "archived", "version": 1,
        "first_captured_at": T0, "captured_at": T0, **search_fields(None, None, text[:200]),
        "categories": [], "tags": [], "date_warnings": [],
    }  # fmt: skip


def _load(engine: Engine, rows: list[tuple[int, str, bytes]]) -> None:  # (id, text, signature)
    """Bulk-insert articles with their signatures and band keys (what the crawl writes per article)."""
    with engine.begin() as connection:
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            connection.execute(insert(Article), [_row(i, body) for i, body, _ in chunk])
            connection.execute(
                insert(ArticleFingerprint), [{"article_id": i, "minhash": s} for i, _, s in chunk]
            )
            connection.execute(
                insert(ArticleBand),
                [
                    {"band_key": k, "article_id": i}
                    for i, _, s in chunk
                    for k in set(fingerprints.band_keys(s))
                ],
            )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000, help="replica articles in the index")
    parser.add_argument("--fingerprints", type=int, default=0, help="pad the index to this many signatures")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", help="archive URL (default: a new SQLite file in a temporary directory)")
    args = parser.parse_args(argv)

    per_world = PORTALS * WORLD_ARTICLES
    worlds = -(-args.articles // per_world)
    started = time.perf_counter()
    jobs = [(args.seed * 1000 + i, min(WORLD_ARTICLES, -(-args.articles // PORTALS))) for i in range(worlds)]
    with ProcessPoolExecutor(args.workers) as pool:
        corpus = [item for chunk in pool.map(_texts, jobs) for item in chunk][: args.articles]
    generated = time.perf_counter() - started
    texts = [body for body, _, _ in corpus]
    groups = [group for _, _, group in corpus]

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench-dedup.sqlite3"
        engine, factory = open_archive(url, create=True)
        started = time.perf_counter()
        _load(engine, [(i, body, sig) for i, (body, sig, _) in enumerate(corpus, start=1)])
        rng = np.random.default_rng(args.seed)
        padding = max(0, args.fingerprints - len(corpus))
        for start in range(0, padding, 50_000):
            count = min(50_000, padding - start)
            sigs = rng.integers(0, 2**32, size=(count, NUM_PERM), dtype=np.uint32)
            first = len(corpus) + start + 1
            _load(engine, [(first + j, f"padding {first + j}", sigs[j].tobytes()) for j in range(count)])
        loaded = time.perf_counter() - started
        total = len(corpus) + padding
        if engine.dialect.name == "postgresql":  # ids were given explicitly: move the sequence past them
            with engine.begin() as connection:
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence('articles', 'id'), :n)"), {"n": total}
                )
        engine.dispose()

        # What a crawl pays at start for near-duplicate detection: opening the archive, nothing more.
        rss_before, started = _rss_mb(), time.perf_counter()
        engine, factory = open_archive(url, create=True)
        startup, rss_growth = time.perf_counter() - started, _rss_mb() - rss_before

        # Every article's story: corpus articles by their replica copy group (or alone), queries by the
        # story they copy. A link is right when both ends tell the same story.
        story = {i: group or f"corpus:{i}" for i, group in enumerate(groups, start=1)}
        queries: list[tuple[str, str, bool]] = []  # (text, story, has a copy in the corpus)
        pick = random.Random(args.seed)
        for _ in range(args.queries // 2):
            source = pick.randrange(len(texts)) + 1
            lead_in = "Theo Báo Ninh Thuận, bài viết được đăng lại với sự đồng ý của tòa soạn."
            queries.append(("\n".join([lead_in, *texts[source - 1].split("\n")]), story[source], True))
        # Articles of another world of the same generator: mostly templated reports with other facts.
        others = _texts((args.seed * 1000 + worlds, args.queries // PORTALS + 1))
        for n, (body, _, group) in enumerate(others[: args.queries - len(queries)]):
            queries.append((body, f"other:{group or n}", False))

        timings: list[float] = []
        tp = fp = fn = 0
        for number, (body, query_story, copied) in enumerate(queries, start=1):
            query_url = f"https://query.vn/bai-{number}.html"
            with factory.begin() as session:
                data = ArticleData(
                    url=query_url, canonical_url=query_url, text=body, content_hash=content_hash(body),
                    language="vi", language_confidence=0.9,
                )  # fmt: skip
                capture = CaptureData(
                    query_url, query_url, 200, {}, body.encode(), "text/html", "bench", datetime.now(UTC)
                )
                outcome = archive_article(session, capture, data, run_id=None, portal_id=None)
                assert outcome.article_id is not None
                fingerprints.store(session, outcome.article_id, signature(body))
                story[outcome.article_id] = query_story
            t0 = time.perf_counter()
            with factory.begin() as session:
                (decision,) = dedup.decide_pending(session)
            timings.append(time.perf_counter() - t0)
            linked = decision.other_id if decision.kind in ("duplicate", "near_duplicate") else None
            if linked is not None and story.get(linked) == query_story:
                tp += 1
            elif linked is not None:
                fp += 1
            elif copied:
                fn += 1
        engine.dispose()
        size = os.path.getsize(f"{tmp}/bench-dedup.sqlite3") if not args.db else 0

    print(f"corpus: {len(corpus):,} replica articles generated and signed in {generated:.1f} s")
    print(f"index: {total:,} signatures ({padding:,} random padding) loaded in {loaded:.1f} s")
    if size:
        print(f"SQLite archive size: {size / 1e6:.0f} MB")
    print(f"crawl start-up for dedup: {startup * 1000:.0f} ms, memory growth {rss_growth:.1f} MB (peak RSS)")
    ms = sorted(t * 1000 for t in timings)
    p95 = ms[int(len(ms) * 0.95) - 1]
    print(
        f"decision per article (lock, bands, signatures, confirmation, link) over {len(ms)} queries: "
        f"mean {statistics.mean(ms):.2f} ms, p50 {ms[len(ms) // 2]:.2f}, p95 {p95:.2f}, max {ms[-1]:.2f}"
    )
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    print(f"near-copy precision {precision:.4f}, recall {recall:.4f} (tp {tp}, fp {fp}, fn {fn})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
