"""Database triggers that refuse UPDATE, DELETE (and TRUNCATE) on append-only tables.

They back the application's own refusal (the models' save/delete and their querysets), so that
even SQL typed by hand cannot change the audit trail or the controlled-substance ledger. Used by
the migrations that create those tables and by the test-only `flush` command.
"""

from __future__ import annotations

from typing import Any

APPEND_ONLY_TABLES = ("audit_auditevent", "audit_auditeventpatient", "inventory_ledgerentry")


def _postgres_create(table: str) -> list[str]:
    function = f"{table}_append_only"
    return [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{table} is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql""",
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
    ]


def _postgres_drop(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
    ]


def _sqlite_create(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
           BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
           BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END""",
    ]


def _sqlite_drop(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
    ]


def _statements(vendor: str, table: str, create: bool) -> list[str]:
    if vendor == "postgresql":
        return _postgres_create(table) if create else _postgres_drop(table)
    if vendor == "sqlite":
        return _sqlite_create(table) if create else _sqlite_drop(table)
    return []


def create_triggers(connection: Any, table: str = "audit_auditevent") -> None:
    """(Re)create the table's triggers; safe to call when they already exist."""
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, table, create=False):
            cursor.execute(statement)
        for statement in _statements(connection.vendor, table, create=True):
            cursor.execute(statement)


def drop_triggers(connection: Any, table: str = "audit_auditevent") -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, table, create=False):
            cursor.execute(statement)


def ensure_all(connection: Any) -> None:
    """Give every append-only table that exists its triggers.

    Run after every `migrate`: SQLite drops a table's triggers when a migration rebuilds the
    table (as it does to alter or add a column), so they are put back each time.
    """
    for table in existing_tables(connection):
        create_triggers(connection, table)


def existing_tables(connection: Any) -> list[str]:
    names = set(connection.introspection.table_names())
    return [t for t in APPEND_ONLY_TABLES if t in names]
