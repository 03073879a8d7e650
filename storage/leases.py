"""Portal leases: one crawl of a portal at a time, across processes and machines sharing an archive.

A lease row names its holder and expires; the holder renews it while it crawls. A holder that dies stops
renewing, and its lease lapses for the next crawl. Acquiring is one conditional INSERT or UPDATE, so two
crawlers racing for a portal cannot both win. Functions take a Session and never commit.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Lease, utcnow

# A lease lasts this long past its last renewal; holders renew every third of it, so a live crawl
# never loses its lease to a slow database round trip, and a dead one frees its portal within minutes.
LEASE_TTL = timedelta(minutes=3)


def new_holder() -> str:
    """Return a holder name that says where a crawl runs: host, process id, and a unique suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def dead_on_this_host(host: str | None, pid: int | None) -> bool:
    """Whether a crawl process that ran on ``host`` as ``pid`` is known to be gone: only decidable for
    this machine's own processes (elsewhere, a lease lapses and a heartbeat goes stale instead)."""
    if host != socket.gethostname() or not pid or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def holder_process(holder: str) -> tuple[str | None, int | None]:
    """Return (host, pid) of a holder name made by new_holder, or (None, None)."""
    parts = holder.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit():
        return parts[0], int(parts[1])
    return None, None


@dataclass(frozen=True)
class LeaseInfo:
    """Who holds a portal, and until when."""

    portal_key: str
    holder: str
    run_id: int | None
    acquired_at: datetime
    expires_at: datetime


def acquire(
    session: Session,
    portal_key: str,
    holder: str,
    *,
    run_id: int | None = None,
    force: bool = False,
    now: datetime | None = None,
) -> LeaseInfo | None:
    """Take the portal's lease for ``holder``; return None on success, else the lease that blocks it.

    A lapsed lease (or one already ``holder``'s) is taken over; ``force`` takes any lease.
    """
    now = now or utcnow()
    expires = now + LEASE_TTL
    condition = Lease.portal_key == portal_key
    if not force:
        condition = condition & ((Lease.expires_at < now) | (Lease.holder == holder))
    values = {"holder": holder, "run_id": run_id, "acquired_at": now, "expires_at": expires}
    taken = session.execute(update(Lease).where(condition).values(**values))
    if taken.rowcount:  # type: ignore[attr-defined]
        return None
    try:
        with session.begin_nested():
            session.add(Lease(portal_key=portal_key, **values))
        return None
    except IntegrityError:
        pass  # another crawler holds it (or took it a moment ago)
    blocker = holder_of(session, portal_key, now=now)
    if blocker is None:  # it lapsed between our two statements: the next attempt decides
        return LeaseInfo(portal_key, "(another crawl, just now)", None, now, now)
    return blocker


def holder_of(session: Session, portal_key: str, *, now: datetime | None = None) -> LeaseInfo | None:
    """Return the live lease on a portal, or None when it is free (no lease, or a lapsed one)."""
    now = now or utcnow()
    lease = session.scalars(select(Lease).where(Lease.portal_key == portal_key)).one_or_none()
    if lease is None or lease.expires_at < now:
        return None
    return LeaseInfo(lease.portal_key, lease.holder, lease.run_id, lease.acquired_at, lease.expires_at)


def renew(session: Session, portal_keys: list[str], holder: str, *, now: datetime | None = None) -> list[str]:
    """Extend ``holder``'s leases; return the portals whose lease it no longer holds (taken by force)."""
    now = now or utcnow()
    session.execute(
        update(Lease)
        .where(Lease.portal_key.in_(portal_keys), Lease.holder == holder)
        .values(expires_at=now + LEASE_TTL)
    )
    held = set(
        session.scalars(
            select(Lease.portal_key).where(Lease.portal_key.in_(portal_keys), Lease.holder == holder)
        )
    )
    return [key for key in portal_keys if key not in held]


def release(session: Session, portal_keys: list[str], holder: str) -> None:
    """Give up ``holder``'s leases on these portals."""
    session.execute(delete(Lease).where(Lease.portal_key.in_(portal_keys), Lease.holder == holder))
