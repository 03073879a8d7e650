"""Migration 0016 adds the portals' lineage columns to an archive that holds portals, and takes them away."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import inspect, text

from storage.db import _alembic_config, make_engine, session_factory
from storage.models import Portal
from storage.runs import Lineage, ensure_portal


def test_upgrade_keeps_the_portals_with_no_lineage_yet_and_downgrade_drops_it(archive_url: str) -> None:
    engine = make_engine(archive_url)
    config = _alembic_config(engine)
    command.upgrade(config, "0014")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO portals (key, name, home_url, created_at) VALUES (:k, :n, :u, :t)"),
            {"k": "ninhthuan", "n": "Báo Ninh Thuận", "u": "https://baoninhthuan.com.vn/",
             "t": datetime(2024, 1, 1, tzinfo=UTC)},
        )  # fmt: skip
    command.upgrade(config, "head")
    factory = session_factory(engine)
    with factory.begin() as session:
        portal = session.get(Portal, 1)
        assert portal is not None and (portal.aliases, portal.successor, portal.active_until) == (None,) * 3
        ensure_portal(session, "ninhthuan", "Báo Ninh Thuận", "https://baoninhthuan.com.vn/",
                      Lineage(("ninhthuan.example.vn",), None, date(2025, 6, 30)))  # fmt: skip
    command.downgrade(config, "0014")
    columns = {column["name"] for column in inspect(engine).get_columns("portals")}
    assert {"aliases", "successor", "active_until"}.isdisjoint(columns) and "home_url" in columns
    with engine.connect() as connection:
        assert connection.execute(text("SELECT key FROM portals")).scalars().all() == ["ninhthuan"]
    engine.dispose()
