"""Native rows read by reader threads, outside a transaction, are the rows read inline."""

import time

import pytest
from django.db import connection, transaction

from exports import native
from exports.services import comparisons_for_export
from exports.tests.ranked import rank_all

pytestmark = pytest.mark.django_db(transaction=True)


def open_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def settled_connections(expected: int) -> int:
    """The count once closed connections' server processes have gone (they leave asynchronously)."""
    for _ in range(50):
        if (count := open_connections()) <= expected:
            return count
        time.sleep(0.1)
    return count


def test_reader_threads_give_the_rows_in_order_and_close_their_connections(project, monkeypatch):
    project.overlap = 2
    project.save(update_fields=["overlap"])
    rank_all(project, comparisons=7, trainers=2)
    monkeypatch.setattr(native, "CHUNK", 2)  # four chunks: more than the readers at once
    comparisons = comparisons_for_export(project=project)
    before = open_connections()
    threaded = list(native.native_rows(project=project, comparisons=comparisons))
    assert settled_connections(before) == before
    with transaction.atomic():
        inline = list(native.native_rows(project=project, comparisons=comparisons))
    assert [row["comparison_id"] for row in threaded] == list(comparisons.values_list("id", flat=True))
    assert threaded == inline
    assert all(len(row["rankings"]) == 2 and len(row["candidates"]) == 4 for row in threaded)


def test_a_stream_abandoned_halfway_leaves_no_connection_open(project, monkeypatch):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    rank_all(project, comparisons=6, trainers=1)
    monkeypatch.setattr(native, "CHUNK", 1)
    before = open_connections()
    rows = native.native_rows(project=project, comparisons=comparisons_for_export(project=project))
    next(rows)
    rows.close()
    assert settled_connections(before) == before
