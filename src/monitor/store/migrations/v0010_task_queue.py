"""Version 10: the task queue of the workers (procrastinate's schema), on PostgreSQL only.

The schema is the one the installed procrastinate ships (`procrastinate/sql/schema.sql`), and
the version it came with is recorded in `task_queue_schema`, so that a later procrastinate's
migration files bring it up to date (`store/task_queue.py`, docs/scale.md#upgrading). A
database that has procrastinate's tables already (applied by hand) keeps them. On SQLite
(one process, no workers) nothing is created.
"""

from __future__ import annotations

from importlib import metadata, resources

import sqlalchemy as sa
from alembic.operations import Operations

VERSION = 10


def upgrade(op: Operations) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    op.create_table(
        "task_queue_schema",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.String(40), nullable=False),  # procrastinate's, e.g. 3.10.0
    )
    if not sa.inspect(conn).has_table("procrastinate_jobs"):
        sql = (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")
        conn.exec_driver_sql(sql.replace("%", "%%"))  # no parameters: % is literal
    conn.execute(
        sa.text("INSERT INTO task_queue_schema (id, version) VALUES (1, :v)"),
        {"v": metadata.version("procrastinate")},
    )
