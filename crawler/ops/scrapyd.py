"""Scale-out on Scrapyd nodes: dispatch a portal's crawl to the least busy node and follow it to its end.

Every node runs the deployed egg (`scrapyd-deploy`, or deploy_egg here) against the shared PostgreSQL
archive; leases, the frontier and the dedup lock live in that archive, so crawls on different nodes
keep every guarantee a single machine gives.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger("newsarchive.scheduler")
PROJECT = "newsarchive"
# How long a node may take to answer; a node slower than this is treated as down for this round.
TIMEOUT = 10.0
# listjobs.json is asked at most this often per node while crawls run.
POLL_SECONDS = 2.0


class NodeError(Exception):
    """A Scrapyd node did not answer, or refused the request; str() says which and why."""


def _call(
    node: str, endpoint: str, data: dict[str, Any] | list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    url = f"{node.rstrip('/')}/{endpoint}"
    body = None
    if data is not None:
        body = urllib.parse.urlencode(data, doseq=True).encode()
    try:
        with urllib.request.urlopen(url, data=body, timeout=TIMEOUT) as response:  # noqa: S310 - operator's node
            answer: dict[str, Any] = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise NodeError(f"{node}: {endpoint} failed ({exc})") from exc
    if answer.get("status") != "ok":
        raise NodeError(f"{node}: {endpoint} refused: {answer.get('message', answer)}")
    return answer


def deploy_egg(node: str, egg: Path, version: str | None = None) -> None:
    """Upload a built egg to a node (what `scrapyd-deploy` does). Raises NodeError."""
    boundary = uuid.uuid4().hex
    version = version or str(int(time.time()))
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="project"\r\n\r\n{PROJECT}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="version"\r\n\r\n{version}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; filename="{egg.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + egg.read_bytes()
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    request = urllib.request.Request(
        f"{node.rstrip('/')}/addversion.json",
        data=b"".join(parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - operator's node
            answer = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise NodeError(f"{node}: addversion.json failed ({exc})") from exc
    if answer.get("status") != "ok":
        raise NodeError(f"{node}: addversion.json refused: {answer.get('message', answer)}")


@dataclass
class ScrapydLauncher:
    """Starts each crawl on the least busy of ``nodes`` (running + pending jobs, daemonstatus.json) and
    follows it through listjobs.json. A node that does not answer is skipped with a warning; when none
    answers, the crawl is not started (the scheduler tries again later).

    The job id is the scheduler's tag, which the crawl records in its run row (crawl_runs.job_id), with
    the node (crawl_runs.node).
    """

    nodes: list[str]
    database_url: str
    registry: str | None = None
    settings: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, str] = field(default_factory=dict)  # tag -> node
    _finished: dict[str, set[str]] = field(default_factory=dict)
    _polled: dict[str, float] = field(default_factory=dict)

    def _load(self) -> list[tuple[int, str]]:
        busy = []
        for node in self.nodes:
            try:
                status = _call(node, "daemonstatus.json")
            except NodeError as exc:
                logger.warning("Scrapyd node skipped: %s", exc)
                continue
            busy.append((int(status.get("running", 0)) + int(status.get("pending", 0)), node))
        return sorted(busy)

    def start(self, portal_key: str, tag: str) -> str | None:
        for _, node in self._load():
            arguments: list[tuple[str, str]] = [
                ("project", PROJECT), ("spider", "portal"), ("jobid", tag), ("portal", portal_key),
                ("setting", f"ARCHIVE_DATABASE_URL={self.database_url}"),
                ("setting", f"NEWSARCHIVE_SCRAPYD_NODE={node}"), ("setting", "NEWSARCHIVE_PROGRESS=plain"),
            ]  # fmt: skip
            if self.registry:
                arguments.append(("registry", self.registry))
            arguments += [("setting", f"{name}={value}") for name, value in self.settings.items()]
            try:
                _call(node, "schedule.json", arguments)
            except NodeError as exc:
                logger.warning("Scrapyd node refused the crawl of %s: %s", portal_key, exc)
                continue
            self.jobs[tag] = node
            return f"{node} job {tag}"
        return None

    def finished(self, tag: str) -> int | None:
        node = self.jobs[tag]
        if time.monotonic() - self._polled.get(node, 0.0) >= POLL_SECONDS:
            self._polled[node] = time.monotonic()
            try:
                jobs = _call(node, f"listjobs.json?project={PROJECT}")
            except NodeError as exc:
                logger.warning("cannot follow jobs on %s: %s", node, exc)
                return None
            self._finished[node] = {job["id"] for job in jobs.get("finished", [])}
        # Scrapyd reports no exit status; the crawl's own run row says how it went (failed or not).
        return 0 if tag in self._finished.get(node, set()) else None

    def interrupt(self, tag: str) -> None:
        node = self.jobs[tag]
        try:
            _call(node, "cancel.json", {"project": PROJECT, "job": tag, "signal": "TERM"})
        except NodeError as exc:
            logger.warning("cannot interrupt job %s: %s", tag, exc)
