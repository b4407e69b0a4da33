"""The cursor never skips a comparison whose transaction commits late, nor repeats one."""

import json
import threading

import psycopg
import pytest
from django.db import connection, transaction

from exports.pull import Cursor, pull_page
from exports.tests.ranked import rank_all
from labeler.models import Comparison
from rankings.services import comparison_mark_complete
from rankings.tests.factories import ready_comparisons

pytestmark = pytest.mark.django_db(transaction=True)


def pulled(project, cursor):
    page = pull_page(project=project, cursor=cursor, limit=1_000_000)
    return list(page.comparisons.values_list("id", flat=True)), page.next_cursor


def test_a_transaction_that_started_first_and_commits_last_is_in_the_next_pull(project):
    early, late = ready_comparisons(project, 2)
    has_xid, may_commit = threading.Event(), threading.Event()

    def slow_writer():
        with transaction.atomic():
            comparison_mark_complete(comparison=Comparison.objects.get(id=early.id))
            has_xid.set()
            may_commit.wait(10)
        connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    has_xid.wait(10)
    with transaction.atomic():
        comparison_mark_complete(comparison=Comparison.objects.get(id=late.id))  # a higher xid, committed first

    first, cursor = pulled(project, Cursor(0, 0))
    assert first == []  # the late row is held back while an older transaction is open
    may_commit.set()
    writer.join()
    second, cursor = pulled(project, cursor)
    assert second == [early.id, late.id]
    assert pulled(project, cursor)[0] == []


def test_a_transaction_open_in_another_database_holds_nothing_back(project):
    [comparison] = ready_comparisons(project, 1)
    params = connection.get_connection_params()
    with psycopg.connect(**{**params, "dbname": "postgres"}) as elsewhere:
        elsewhere.execute("SELECT pg_current_xact_id()")  # an xid older than the completion, never committed
        with transaction.atomic():
            comparison_mark_complete(comparison=Comparison.objects.get(id=comparison.id))
        assert pulled(project, Cursor(0, 0))[0] == [comparison.id]


def test_pulling_while_trainers_submit_gets_every_comparison_exactly_once(project):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    seen, cursor, done = [], Cursor(0, 0), threading.Event()

    def trainers():
        rank_all(project, comparisons=40, trainers=2)
        connection.close()
        done.set()

    worker = threading.Thread(target=trainers)
    worker.start()
    while not done.is_set():
        ids, cursor = pulled(project, cursor)
        seen += ids
    worker.join()
    ids, cursor = pulled(project, cursor)
    seen += ids
    assert len(seen) == len(set(seen)) == Comparison.objects.filter(status="complete").count() == 40
    assert json.dumps(cursor.encode())
