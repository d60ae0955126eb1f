"""Alembic environment: runs on the connection `groundswell.store.migrate` hands in."""

from alembic import context
from sqlmodel import SQLModel

from groundswell import tables  # noqa: F401  (registers the tables on SQLModel.metadata)


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
