"""`make bench-dedup`: near-duplicate lookup time with 100,000 articles indexed, and its precision/recall.

Texts come from the replica's generator (templated provincial news: many articles share templates and
differ only in names and numbers, the hard case). Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

from pipelines.neardup import NearDuplicateIndex, compare, signature
from tests.replica import build_world

PORTALS = 5


# Articles per generated world: the replica's title generator slows down sharply past a few thousand
# articles per portal (it retries to keep titles unique), so the corpus is many worlds of this size.
WORLD_ARTICLES = 1000


def _texts(args: tuple[int, int]) -> list[tuple[str, bytes, str | None]]:
    """Worker: text, signature and copy group (the replica's own syndicated copies) of every article."""
    seed, per_portal = args
    world = build_world(portals=PORTALS, articles=per_portal, seed=seed)
    articles = [a for portal in world.portals for a in portal.articles]
    out = []
    for article in articles:
        text = "\n".join(world.text(article).paragraphs)
        group = article.dup_group or article.near_group
        out.append((text, signature(text), f"{seed}:{group}" if group else None))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000, help="articles in the index")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    per_world = PORTALS * WORLD_ARTICLES
    worlds = -(-args.articles // per_world)
    started = time.perf_counter()
    jobs = [(args.seed * 1000 + i, min(WORLD_ARTICLES, -(-args.articles // PORTALS))) for i in range(worlds)]
    with ProcessPoolExecutor(args.workers) as pool:
        corpus = [pair for chunk in pool.map(_texts, jobs) for pair in chunk][: args.articles]
    generated = time.perf_counter() - started
    texts = [text for text, _, _ in corpus]
    groups = [group for _, _, group in corpus]

    index = NearDuplicateIndex()
    started = time.perf_counter()
    for article_id, (_, sig, _) in enumerate(corpus, start=1):
        index.add(article_id, sig)
    build = time.perf_counter() - started

    rng = random.Random(args.seed)
    queries: list[tuple[str, int | None]] = []
    for _ in range(args.queries // 2):
        source = rng.randrange(len(texts))
        paragraphs = texts[source].split("\n")
        copy = ["Theo Báo Ninh Thuận, bài viết được đăng lại với sự đồng ý của tòa soạn.", *paragraphs]
        queries.append(("\n".join(copy), source + 1))
    # Articles of another world of the same generator: mostly templated reports with other facts.
    others = _texts((args.seed * 1000 + worlds, args.queries // PORTALS + 1))
    for text, _, _ in others[: args.queries - len(queries)]:
        queries.append((text, None))

    timings: dict[str, list[float]] = {"signature": [], "lsh": [], "confirm": [], "total": []}
    candidates_seen = []
    true_positive = false_positive = false_negative = 0
    for text, expected in queries:
        t0 = time.perf_counter()
        sig = signature(text)
        t1 = time.perf_counter()
        candidates = index.candidates(sig)
        t2 = time.perf_counter()
        matches = [c for c in candidates if compare(texts[c - 1], text).same_story]
        t3 = time.perf_counter()
        timings["signature"].append(t1 - t0)
        timings["lsh"].append(t2 - t1)
        timings["confirm"].append(t3 - t2)
        timings["total"].append(t3 - t0)
        candidates_seen.append(len(candidates))
        if expected is not None and expected in matches:
            true_positive += 1
        elif expected is not None:
            false_negative += 1
        # A match is false unless it is the source or one of the source's own copies in the replica.
        source_group = groups[expected - 1] if expected is not None else None
        false_positive += len(
            [m for m in matches if m != expected and (source_group is None or groups[m - 1] != source_group)]
        )

    print(
        f"corpus: {len(corpus):,} articles generated and signed in {generated:.1f} s ({args.workers} workers)"
    )
    print(f"index build: {build:.1f} s ({build / len(corpus) * 1e6:.0f} us per article)")
    print(
        f"queries: {len(queries)} ({args.queries // 2} near-copies with a lead-in, the rest other articles)"
    )
    print("per-article lookup (ms)      mean     p50     p95     max")
    for name, values in timings.items():
        ms = sorted(v * 1000 for v in values)
        p95 = ms[int(len(ms) * 0.95) - 1]
        print(f"  {name:<26} {statistics.mean(ms):6.3f}  {ms[len(ms) // 2]:6.3f}  {p95:6.3f}  {ms[-1]:6.3f}")
    print(f"candidates per query: mean {statistics.mean(candidates_seen):.2f}, max {max(candidates_seen)}")
    precision = true_positive / max(1, true_positive + false_positive)
    recall = true_positive / max(1, true_positive + false_negative)
    print(
        f"near-copy precision {precision:.4f}, recall {recall:.4f} (tp {true_positive}, fp {false_positive}, "
        f"fn {false_negative})"
    )
    verdict = "PASS" if statistics.mean(timings["total"]) * 1000 < 2 else "FAIL"
    print(f"target: mean lookup < 2 ms with {len(corpus):,} indexed: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
