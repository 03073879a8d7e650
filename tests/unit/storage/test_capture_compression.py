"""A capture's stored body: Zstandard now, zlib before; both read back exactly as fetched."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from storage.captures import CaptureData, archive_failure, capture_body
from storage.models import Capture
from storage.stored_forms import compress_capture, decompress_capture

# A page such as a portal sends: Vietnamese text in markup, repeated enough to compress, and bytes
# that are no UTF-8 (kept as captured).
PAGE = (
    "<html><head><meta charset='utf-8'><title>Báo Khánh Hòa</title></head><body>"
    + "<p>Sáng nay, Ủy ban nhân dân tỉnh Khánh Hòa tổ chức lễ khởi công tuyến đường ven biển.</p>" * 40
    + "</body></html>"
).encode() + b"\xff\xfe\x00"


def test_a_body_is_stored_as_a_zstandard_frame_smaller_than_zlib_and_read_back_exactly() -> None:
    stored = compress_capture(PAGE)
    assert stored[:4] == b"\x28\xb5\x2f\xfd"  # a Zstandard frame
    assert len(stored) < len(zlib.compress(PAGE, 3)) < len(PAGE)
    assert decompress_capture(stored) == PAGE
    assert decompress_capture(compress_capture(b"")) == b""


@pytest.mark.parametrize("level", [1, 3, 6, 9])
def test_bodies_stored_with_zlib_before_read_back_exactly(level: int) -> None:
    assert decompress_capture(zlib.compress(PAGE, level)) == PAGE


@pytest.mark.parametrize(
    "stored",
    [b"", b"not compressed at all", compress_capture(PAGE)[:-7], zlib.compress(PAGE)[:-7]],
    ids=["empty", "plain", "cut zstd", "cut zlib"],
)
def test_a_damaged_stored_body_is_a_clear_error(stored: bytes) -> None:
    with pytest.raises(ValueError, match=r"damaged capture body \(\d+ bytes stored\)"):
        decompress_capture(stored)


def test_the_archive_reads_captures_of_both_forms(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    at = datetime(2024, 4, 12, 1, 30, tzinfo=UTC)
    urls = ("https://p.vn/bai-moi-1.html", "https://p.vn/bai-cu-2.html")
    with factory.begin() as session:
        for url in urls:
            data = CaptureData(
                url=url, final_url=url, http_status=200, content_type="text/html; charset=utf-8",
                headers={}, body=PAGE, discovered_via=None, fetched_at=at,
            )  # fmt: skip
            archive_failure(session, data, run_id=None, portal_id=None, status="failed", reason="no article")
        # The second as an archive written before Zstandard holds it.
        session.execute(
            update(Capture).where(Capture.url == urls[1]).values(body_compressed=zlib.compress(PAGE, 3))
        )
    with factory() as session:
        captures = {capture.url: capture for capture in session.scalars(select(Capture))}
        assert captures[urls[0]].body_compressed[:4] == b"\x28\xb5\x2f\xfd"
        assert [capture_body(captures[url]) for url in urls] == [PAGE, PAGE]
