"""The dedup stage on SQLite and PostgreSQL: exact and near copies linked after commit, across writers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from datasketch import MinHashLSH
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipelines import dedup
from pipelines.detect.neardup import LSH_THRESHOLD, NUM_PERM, signature
from storage import fingerprints
from storage.articles import ArticleData, apply_reextraction, archive_article
from storage.captures import CaptureData
from storage.db import open_archive
from storage.models import Article, ArticleBand, Capture, Cluster, DedupQueue
from storage.text import content_hash
from tests.unit.pipelines.test_neardup import STORY, templated, text

T0 = datetime(2024, 4, 12, 1, 30, tzinfo=UTC)


def write(
    session: Session, url: str, body: str, published: datetime | None = T0, *, queue: bool = True
) -> int:
    """Archive an article through the real write path and store its fingerprint, as the crawl does."""
    capture = CaptureData(
        url=url,
        final_url=url,
        http_status=200,
        headers={},
        body=(url + body).encode(),
        content_type="text/html",
        discovered_via="listing",
        fetched_at=T0,
    )
    data = ArticleData(
        url=url,
        canonical_url=url,
        text=body,
        content_hash=content_hash(body),
        language="vi",
        language_confidence=0.99,
        title="Hội nghị",
        published_at=published,
    )
    outcome = archive_article(session, capture, data, run_id=None, portal_id=None)
    assert outcome.article_id is not None
    fingerprints.store(session, outcome.article_id, signature(body), queue=queue)
    return outcome.article_id


def _one_pass(factory: Any) -> list[dedup.Decision]:
    with factory.begin() as session:
        return dedup.decide_pending(session)


def articles(factory: Any) -> dict[str, Article]:
    with factory() as session:
        return {a.url: a for a in session.scalars(select(Article))}


def test_banding_is_the_lsh_threshold_optimum() -> None:
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    assert (lsh.b, lsh.r) == (fingerprints.BANDS, fingerprints.ROWS)
    assert fingerprints.SIGNATURE_VALUES == NUM_PERM


def test_exact_copy_is_linked_to_the_earliest_published(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    body = text(STORY)
    later, earlier = "https://b.vn/ban-sao-2.html", "https://a.vn/tin-goc-1.html"
    with factory.begin() as session:
        write(session, later, body, T0 + timedelta(hours=5))
    with factory.begin() as session:
        write(session, earlier, body)
    decisions = dedup.drain(factory)
    assert sorted(d.kind for d in decisions) == ["duplicate", "duplicate"]
    rows = articles(factory)
    with factory() as session:
        cluster = session.scalars(select(Cluster)).one()
        assert session.scalar(select(func.count()).select_from(DedupQueue)) == 0
        statuses = dict(session.execute(select(Capture.url, Capture.status)).all())
    assert cluster.origin_article_id == rows[earlier].id
    assert rows[earlier].status == "archived" and rows[earlier].duplicate_of is None
    assert rows[later].status == "duplicate" and rows[later].duplicate_of == rows[earlier].id
    assert statuses == {earlier: "archived", later: "duplicate"}


def test_copies_decided_in_one_pass_see_what_the_earlier_decisions_of_the_pass_did(archive) -> None:  # type: ignore[no-untyped-def]
    """The exact copies of a pass are looked up at once; each decision must still prefer the copy that is
    no copy by then: here B, published first, takes the origin from A within the pass, so C and D join B."""
    _, factory = archive
    body = text(STORY)
    with factory.begin() as session:
        first = write(session, "https://a.vn/a.html", body, T0 + timedelta(hours=5))
    assert [d.kind for d in dedup.drain(factory)] == ["unique"]
    with factory.begin() as session:
        earliest = write(session, "https://b.vn/b.html", body, T0)
        copies = [write(session, f"https://c.vn/{n}.html", body, T0 + timedelta(hours=10)) for n in "cd"]
        other = write(session, "https://e.vn/e.html", text(["Một câu chuyện khác hẳn.", "Không liên quan."]))
    decisions = {d.article_id: d for d in _one_pass(factory)}
    assert (decisions[earliest].kind, decisions[earliest].other_id) == ("duplicate", first)
    assert [(decisions[c].kind, decisions[c].other_id) for c in copies] == [("duplicate", earliest)] * 2
    assert decisions[other].kind == "unique"
    rows = {a.id: a for a in articles(factory).values()}
    assert rows[earliest].duplicate_of is None and rows[first].duplicate_of == earliest
    assert all(rows[c].duplicate_of == earliest for c in copies)


def test_near_copy_is_linked_templated_report_is_not(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    with factory.begin() as session:
        write(session, "https://a.vn/goc.html", text(STORY))
        write(session, "https://a.vn/mau-1.html", templated("Ninh Sơn", "35", "52"))
    dedup.drain(factory)
    with factory.begin() as session:
        write(session, "https://b.vn/ban-sao.html", text(["Theo Báo Ninh Thuận,", *STORY, "(TTXVN)"]))
        write(session, "https://c.vn/mau-2.html", templated("Ninh Sơn", "12", "17"))
    decisions = {d.article_id: d for d in dedup.drain(factory)}
    rows = articles(factory)
    copy, other = rows["https://b.vn/ban-sao.html"], rows["https://c.vn/mau-2.html"]
    assert (
        decisions[copy.id].kind == "near_duplicate"
        and decisions[copy.id].other_id == rows["https://a.vn/goc.html"].id
    )
    assert copy.status == "duplicate" and copy.cluster_id == rows["https://a.vn/goc.html"].cluster_id
    assert decisions[other.id].kind == "unique" and decisions[other.id].rejected >= 1
    assert other.cluster_id is None and rows["https://a.vn/mau-1.html"].cluster_id is None


def test_a_rolled_back_batch_leaves_no_index_entries(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    with pytest.raises(RuntimeError), factory.begin() as session:
        write(session, "https://a.vn/goc.html", text(STORY))
        raise RuntimeError("the batch fails after the write")
    with factory.begin() as session:
        write(session, "https://b.vn/ban-sao.html", text(["Theo Báo Ninh Thuận,", *STORY]))
    assert [d.kind for d in dedup.drain(factory)] == ["unique"]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(ArticleBand)) == fingerprints.BANDS


def test_queued_decisions_survive_a_crawl_that_died_before_deciding(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    with factory.begin() as session:  # committed, never decided: the writer was killed here
        write(session, "https://a.vn/goc.html", text(STORY))
        write(session, "https://b.vn/ban-sao.html", text(STORY))
    assert {d.kind for d in dedup.drain(factory)} == {"duplicate"}
    assert len({a.cluster_id for a in articles(factory).values()}) == 1


def test_new_version_that_tells_another_story_leaves_its_cluster(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    with factory.begin() as session:
        write(session, "https://a.vn/goc.html", text(STORY))
        copy_id = write(session, "https://b.vn/ban-sao.html", text(STORY), T0 + timedelta(hours=1))
    dedup.drain(factory)
    rewritten = templated("Bác Ái", "12", "17")
    with factory.begin() as session:
        row = session.get(Article, copy_id)
        assert row is not None and row.status == "duplicate"
        data = ArticleData(
            url=row.url,
            canonical_url=row.canonical_url,
            text=rewritten,
            content_hash=content_hash(rewritten),
            language="vi",
            language_confidence=0.9,
        )
        capture = session.scalars(select(Capture).where(Capture.article_id == copy_id)).one()
        assert apply_reextraction(session, row, data, capture)
        fingerprints.store(session, copy_id, signature(rewritten))
    decisions = dedup.drain(factory)
    assert decisions[0].detached and decisions[0].kind == "unique"
    rows = articles(factory)
    assert all(
        a.cluster_id is None and a.duplicate_of is None and a.status == "archived" for a in rows.values()
    )
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Cluster)) == 0


def test_concurrent_writers_whose_ids_interleave_still_link(postgres_url: str) -> None:
    """Writer A takes the lower id but commits after writer B: B's decision cannot see A's article, so
    A's must find B's. An index refreshed by maximum id would have skipped B's row for good."""
    engine, factory = open_archive(postgres_url, create=True)
    a_written, b_committed = threading.Event(), threading.Event()
    ids: dict[str, int] = {}
    decisions: dict[str, list[dedup.Decision]] = {}

    def writer_a() -> None:
        with factory.begin() as session:
            ids["a"] = write(session, "https://a.vn/goc.html", text(STORY))
            a_written.set()
            assert b_committed.wait(10)
        decisions["a"] = dedup.drain(factory)

    def writer_b() -> None:
        assert a_written.wait(10)
        with factory.begin() as session:
            ids["b"] = write(session, "https://b.vn/ban-sao.html", text(["Theo Báo Ninh Thuận,", *STORY]))
        decisions["b"] = dedup.drain(factory)
        b_committed.set()

    threads = [threading.Thread(target=writer_a), threading.Thread(target=writer_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert ids["a"] < ids["b"]
        assert [d.kind for d in decisions["b"]] == ["unique"]  # A's row was not committed yet
        assert [(d.article_id, d.kind, d.other_id) for d in decisions["a"]] == [
            (ids["a"], "near_duplicate", ids["b"])
        ]
        rows = articles(factory)
        assert rows["https://a.vn/goc.html"].cluster_id == rows["https://b.vn/ban-sao.html"].cluster_id
        assert rows["https://b.vn/ban-sao.html"].duplicate_of == ids["a"]
    finally:
        engine.dispose()
