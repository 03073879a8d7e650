"""WARC export: records and headers, the CDXJ index, `warcio check`, and replay through pywb."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator

from storage.captures import CaptureData, capture_body, record_capture
from storage.models import Capture
from tests.unit.archive_sample import T0, Sample, invoke

BIN = Path(sys.executable).parent


def _refetch_origin(sample: Sample) -> None:
    """Fetch the origin's newest page again with the same bytes: the archive counts a revisit."""
    engine = create_engine(sample.url)
    with Session(engine) as session, session.begin():
        capture = session.scalars(
            select(Capture).where(Capture.article_id == sample.ids["origin"]).order_by(Capture.id.desc())
        ).first()
        assert capture is not None
        data = CaptureData(
            url=capture.url, final_url=capture.final_url, http_status=200, headers=capture.headers,
            body=capture_body(capture), content_type=capture.content_type,
            discovered_via="sitemap", fetched_at=T0 + timedelta(days=3),
        )  # fmt: skip
        _, new = record_capture(session, data, run_id=None, portal_id=capture.portal_id, status="archived")
        assert not new
    engine.dispose()


@pytest.fixture
def exported(sample: Sample, tmp_path: Path) -> tuple[Path, list[dict[str, object]], Sample]:
    _refetch_origin(sample)
    warc = tmp_path / "out.warc.gz"
    result = invoke("export", "--db", sample.url, "--format", "warc", "--all", "-o", str(warc))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in invoke("export", "--db", sample.url, "--all").stdout.splitlines()]
    return warc, rows, sample


def _records(warc: Path) -> list[tuple[str, dict[str, str], object, bytes]]:
    out = []
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream):
            headers = dict(record.rec_headers.headers)
            out.append((record.rec_type, headers, record.http_headers, record.content_stream().read()))
    return out


def test_warc_records(exported: tuple[Path, list[dict[str, object]], Sample]) -> None:
    warc, rows, sample = exported
    records = _records(warc)
    assert records[0][0] == "warcinfo" and b"after content decoding" in records[0][3]
    responses = {
        h["WARC-Newsarchive-Capture-Id"]: (h, http, body)
        for kind, h, http, body in records
        if kind == "response"
    }
    requests = {
        h["WARC-Newsarchive-Capture-Id"]: (h, http) for kind, h, http, _ in records if kind == "request"
    }
    revisits = [h for kind, h, _, _ in records if kind == "revisit"]
    assert set(requests) == set(responses)
    # every exported row names a capture that is in the WARC, so the two join
    assert {str(row["capture_id"]) for row in rows} <= set(responses)
    origin_row = next(row for row in rows if row["id"] == sample.ids["origin"])
    headers, http, body = responses[str(origin_row["capture_id"])]
    assert headers["WARC-Target-URI"] == "https://baohoabinh.example/khoi-cong-cau.htm?utm=x"
    assert headers["WARC-Date"] == "2024-03-01T03:30:00.000000Z"  # the fetch time
    expected_digest = "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()
    assert headers["WARC-Payload-Digest"] == expected_digest
    assert headers["WARC-Newsarchive-Paper"] == "Báo Hòa Bình"
    assert headers["WARC-Newsarchive-Article-Id"] == str(sample.ids["origin"])
    assert http.protocol == "HTTP/1.1" and http.get_statuscode() == "200"  # type: ignore[attr-defined]
    assert http.get_header("Content-Length") == str(len(body))  # type: ignore[attr-defined]
    assert http.get_header("X-Archive-Orig-Content-Length") == "999"  # type: ignore[attr-defined]
    assert "Hòa Bình khởi công cầu mới".encode() in body
    request_headers, request_http = requests[str(origin_row["capture_id"])]
    assert request_headers["WARC-Concurrent-To"] == headers["WARC-Record-ID"]
    request_line = f"{request_http.protocol} {request_http.statusline}"  # type: ignore[attr-defined]
    assert request_line == "GET /khoi-cong-cau.htm?utm=x HTTP/1.1"
    assert request_http.get_header("User-Agent") == "newsarchive-test"  # type: ignore[attr-defined]
    assert "WARC-Newsarchive-Reconstructed" not in request_headers
    failed = requests[str(sample.ids["failed_capture"])][0]
    assert "WARC-Newsarchive-Reconstructed" in failed  # archived without its request: said so
    (revisit,) = revisits
    assert revisit["WARC-Refers-To"] == headers["WARC-Record-ID"]
    assert (
        revisit["WARC-Date"] == "2024-03-04T01:30:00.000000Z"
        and revisit["WARC-Newsarchive-Fetch-Count"] == "2"
    )
    assert revisit["WARC-Payload-Digest"] == expected_digest


def test_warc_passes_warcio_check_and_has_a_cdxj_index(
    exported: tuple[Path, list[dict[str, object]], Sample],
) -> None:
    warc, _, _ = exported
    check = subprocess.run([str(BIN / "warcio"), "check", "-v", str(warc)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    index = warc.with_name("out.cdxj").read_text().splitlines()
    assert len(index) >= 5 and all(" " in line for line in index)
    key, timestamp, fields = index[0].split(" ", 2)
    assert json.loads(fields)["filename"] == "out.warc.gz" and len(timestamp) == 14
    assert any("khoi-cong-cau.htm" in line and '"status": "200"' in line for line in index)


def test_warc_export_honours_search_filters(sample: Sample, tmp_path: Path) -> None:
    warc = tmp_path / "lc.warc.gz"
    result = invoke(
        "export", "--db", sample.url, "--format", "warc", "--portal", "baolaocai", "-o", str(warc)
    )
    assert result.exit_code == 0, result.output
    uris = {h["WARC-Target-URI"] for kind, h, _, _ in _records(warc) if kind == "response"}
    assert uris == {
        "https://baolaocai.example/hoa-binh-khoi-cong-cau.htm?utm=x",
        "https://baolaocai.example/mua-hoa-dao.htm?utm=x",
    }


# pywb's replay app (what `wayback` serves) on a port the system picks, printed once it listens:
# `wayback -p 0` would pick one too but never says which.
WAYBACK = """
from gevent.monkey import patch_all; patch_all()
from pywb.apps.frontendapp import FrontEndApp
from pywb.utils.geventserver import GeventServer, RequestURIWSGIHandler
server = GeventServer(FrontEndApp(), port=0, hostname="127.0.0.1", handler_class=RequestURIWSGIHandler)
print("listening on port", server.port, flush=True)
server.join()
"""


def test_pywb_replays_the_export(
    exported: tuple[Path, list[dict[str, object]], Sample], tmp_path: Path
) -> None:
    warc, _, sample = exported
    root = tmp_path / "pywb"
    root.mkdir()
    for args in (["init", "news"], ["add", "news", str(warc)]):
        done = subprocess.run([str(BIN / "wb-manager"), *args], cwd=root, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    wayback = [sys.executable, "-c", WAYBACK]
    server = subprocess.Popen(wayback, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        said = next(line for line in server.stdout if line.startswith("listening on port "))  # type: ignore[union-attr]
        port = int(said.split()[-1])
        url = f"http://127.0.0.1:{port}/news/20240301033000id_/https://baohoabinh.example/khoi-cong-cau.htm?utm=x"
        response = httpx.get(url, timeout=30)
        assert response.status_code == 200
        assert "Hòa Bình khởi công cầu mới" in response.content.decode("utf-8")
        assert "Cầu dài 300 mét" in response.content.decode("utf-8")
    finally:
        server.terminate()
        server.wait(timeout=10)
    del sample
