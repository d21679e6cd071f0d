"""Database triggers that refuse UPDATE, DELETE (and TRUNCATE) on append-only tables.

They back the application's own refusal (the models' save/delete and their querysets), so that
even SQL typed by hand cannot change the audit trail or the controlled-substance ledger. Used by
the migrations that create those tables and by the test-only `flush` command.
"""

from __future__ import annotations

from typing import Any

# The treatment session's record: what was seen, given and signed is kept as recorded
# (corrections are new rows: a reading, an event, an addendum).
SESSION_TABLES = (
    "treatments_checkin",
    "treatments_readingset",
    "treatments_vitalsignreading",
    "treatments_administrationevent",
    "treatments_sideeffect",
    "treatments_rescuemedication",
    "treatments_discharge",
    "treatments_sessionnote",
    "treatments_addendum",
    "treatments_roomreadinesscheck",
    "treatments_pdmpcheck",
    "treatments_livertest",
)
APPEND_ONLY_TABLES = (
    "audit_auditevent",
    "audit_auditeventpatient",
    "audit_auditseal",
    "inventory_ledgerentry",
    *SESSION_TABLES,
)


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


def _sqlite_create(table: str, unique_keys: list[list[str]]) -> list[str]:
    # `INSERT OR REPLACE` (and `REPLACE`) deletes the row it collides with without firing a
    # DELETE trigger (unless recursive triggers are on), and an upsert's UPDATE comes after the
    # insert is attempted: so an INSERT that would collide with an existing row on any unique
    # key is refused before SQLite resolves the conflict. PostgreSQL has no REPLACE, and its
    # `ON CONFLICT DO UPDATE` fires the UPDATE trigger.
    # Table and column names come from our own schema (APPEND_ONLY_TABLES, introspection).
    collides = " OR ".join(
        "EXISTS (SELECT 1 FROM {t} WHERE {cond})".format(  # noqa: S608
            t=table, cond=" AND ".join(f'"{c}" = NEW."{c}"' for c in columns)
        )
        for columns in unique_keys
    )
    statements = [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
           BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
           BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END""",
    ]
    if collides:
        statements.append(
            f"""CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN {collides}
               BEGIN SELECT RAISE(ABORT, '{table} is append-only: REPLACE refused'); END"""
        )
    return statements


def _sqlite_drop(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
        f"DROP TRIGGER IF EXISTS {table}_no_replace",
    ]


def _unique_keys(connection: Any, table: str) -> list[list[str]]:
    """Return the column lists of the table's primary key and unique constraints."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    keys = {
        tuple(c["columns"])
        for c in constraints.values()
        if (c.get("unique") or c.get("primary_key")) and c.get("columns")
    }
    return [list(k) for k in sorted(keys)]


def _statements(connection: Any, table: str, create: bool) -> list[str]:
    vendor = connection.vendor
    if vendor == "postgresql":
        return _postgres_create(table) if create else _postgres_drop(table)
    if vendor == "sqlite":
        return (
            _sqlite_create(table, _unique_keys(connection, table))
            if create
            else _sqlite_drop(table)
        )
    return []


def create_triggers(connection: Any, table: str = "audit_auditevent") -> None:
    """(Re)create the table's triggers; safe to call when they already exist."""
    drop_triggers(connection, table)
    statements = _statements(connection, table, create=True)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def drop_triggers(connection: Any, table: str = "audit_auditevent") -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection, table, create=False):
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
