"""The few places where RankLab speaks one database's dialect, each with its portable fallback."""

import orjson
from django.db import connection

# Every transaction below the returned id has finished. Transactions of other databases on the
# same server are left out: they never write our rows, and a long one must not stall the pull.
_HORIZON_SQL = """
SELECT coalesce(
    (SELECT min(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
     WHERE NOT EXISTS (
        SELECT FROM pg_stat_activity AS a WHERE a.backend_xid = x::xid AND a.datname <> current_database()
     )),
    pg_snapshot_xmax(pg_current_snapshot())::text::bigint
)
"""


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def transaction_xid() -> int | None:
    """The id of the current write transaction on PostgreSQL; None elsewhere (SQLite serialises writers)."""
    if not is_postgresql():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        return cursor.fetchone()[0]


def visible_horizon() -> int | None:
    """Every transaction below this id has finished; None where the database needs no horizon."""
    if not is_postgresql():
        return None
    with connection.cursor() as cursor:
        cursor.execute(_HORIZON_SQL)
        return cursor.fetchone()[0]


def id_array(ids: list[int]) -> str:
    """Ids as one array literal (PostgreSQL) or JSON array (SQLite): cheaper to send than a thousand bound integers."""
    return "{" + ",".join(map(str, ids)) + "}" if is_postgresql() else orjson.dumps(ids).decode()


def commit_without_flush() -> None:
    """Commit the current transaction without waiting for the WAL flush, on PostgreSQL.

    For soft state only (a lease): if the database crashes in the next few milliseconds and
    forgets it, the work is simply handed out again. Everything else commits durably.
    """
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
