"""Why a download failed, in one non-empty line: Scrapy raises some failures with an empty message
(``DownloadCancelledError: ``) and wraps Twisted's as a list of Failure objects."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)


def causes(exception: BaseException) -> list[BaseException]:
    """The exception, what it was raised from, and the failures a twisted ResponseFailed lists."""
    found: list[BaseException] = []
    pending = [exception]
    while pending and len(found) < 20:
        current = pending.pop(0)
        found.append(current)
        for reason in getattr(current, "reasons", None) or ():
            value = getattr(reason, "value", None)
            if isinstance(value, BaseException):
                pending.append(value)
        if current.__cause__ is not None:
            pending.append(current.__cause__)
    return found


# What a download failure with no message of its own means (Scrapy raises some with an empty one).
_EXPLAINED: tuple[tuple[type[BaseException], str], ...] = (
    (DownloadCancelledError, "download cancelled (over DOWNLOAD_MAXSIZE, or the crawl was stopping)"),
    (ResponseDataLossError, "the connection closed before the whole body arrived (data loss)"),
    (DownloadTimeoutError, "no complete answer within DOWNLOAD_TIMEOUT"),
    (DownloadConnectionRefusedError, "connection refused"),
    (CannotResolveHostError, "DNS lookup failed"),
    (DownloadFailedError, "the response could not be read"),
)


def failure_reason(exception: BaseException | None) -> str:
    """Return a non-empty one-line reason for a failed download: the exception's type and message, the
    messages of what caused it, or what that type of failure means."""
    if exception is None:
        return "download failed (no exception given)"
    parts: list[str] = []
    for cause in causes(exception):
        message = " ".join(str(cause).split())
        if message and not message.startswith("[<twisted.python.failure.Failure") and message not in parts:
            parts.append(message)
    name = type(exception).__name__
    if not parts:
        explained = next((text for kind, text in _EXPLAINED if isinstance(exception, kind)), "no message")
        parts.append(explained)
    return f"{name}: {'; '.join(parts)}"[:1000]
