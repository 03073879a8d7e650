"""Alembic environment: runs against the engine handed in by storage.db (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from storage.db import database_url
from storage.models import Base

config = context.config
target_metadata = Base.metadata


# Search structures made by raw SQL in the migrations, unknown to the ORM models: autogenerate must not
# propose dropping them.
_RAW_SQL_OBJECTS = {"search_vector", "articles_fts", "ix_articles_search"}


def _include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (name in _RAW_SQL_OBJECTS or (name or "").startswith("articles_fts"))


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or database_url(None))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=_include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
