"""The one line a failed crawl ends with says what happened, not Scrapy's finish reason."""

from __future__ import annotations

from crawler.ops.run import failure_message

REFUSED = "ConnectionRefusedError: Connection was refused by other side: 111: Connection refused."


def test_an_unreachable_portal_is_named_with_why() -> None:
    stats = {
        "finish_reason": "finished",
        "run/outcomes": {
            "a": {"outcome": "reached", "new": 3},
            "b": {"outcome": "unreachable", "home": REFUSED},
            "c": {"outcome": "robots_refused", "home": "IgnoreRequest: Forbidden by robots.txt"},
            "d": {"outcome": "unreachable"},
        },
    }
    assert failure_message(stats, "failed") == (
        f"crawl failed: portal b unreachable ({REFUSED}); portal c refused by its robots.txt "
        "(IgnoreRequest: Forbidden by robots.txt); portal d unreachable (no page answered)"
    )


def test_a_lost_archive_says_why_and_what_happens_next() -> None:
    stats = {
        "finish_reason": "archive_unavailable",
        "archive/unavailable": "(psycopg.OperationalError) connection refused",
        "run/outcomes": {"a": {"outcome": "reached"}},
    }
    assert failure_message(stats, "failed") == (
        "crawl failed: the archive was unavailable ((psycopg.OperationalError) connection refused); "
        "the next crawl fetches what was not written"
    )


def test_any_other_failure_keeps_its_finish_reason() -> None:
    assert failure_message({"finish_reason": "shutdown"}, "interrupted") == (
        "crawl interrupted (finish reason: shutdown)"
    )
