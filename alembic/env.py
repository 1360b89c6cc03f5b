"""Alembic environment for AI Daily: migrations run on a connection the application hands over.

There is no alembic.ini: ``core.store.db.migrate`` builds the configuration in code and passes
its open connection as ``config.attributes["connection"]``. To write a new migration, let
alembic compare the models with a scratch database upgraded to head::

    from alembic.command import revision
    from core.store.db import alembic_config, migrate, open_engine
    engine = open_engine("sqlite:////tmp/scratch.db"); migrate(engine)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        revision(config, message="what changes", autogenerate=True, rev_id="0002")

then read and tidy the generated file. Released migrations are never edited.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from core.store.db import in_our_models
from core.store.tables import Base


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite can barely ALTER a table: batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=in_our_models,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if context.is_offline_mode() or connection is None:
    raise SystemExit("AI Daily migrations run on a live connection: call core.store.db.migrate(engine)")
run_migrations(connection)
