"""Writes on comparisons that several flows share."""

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from labeler.models import Comparison
from labeler.signals import comparison_completed


def current_transaction_xid() -> int:
    """An id for the current write transaction that orders completions for the pipeline cursor.

    On PostgreSQL it is the transaction id: the API hands out only rows whose xid is below
    the oldest transaction still running, so a transaction that commits late is never
    skipped. SQLite serialises writers, so a counter is enough there.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()::text::bigint")
            return cursor.fetchone()[0]
    return (Comparison.objects.aggregate(last=Max("completed_xid"))["last"] or 0) + 1


def comparison_mark_complete(*, comparison: Comparison) -> None:
    """Mark a comparison complete; call inside the transaction that made it so."""
    comparison.status = Comparison.Status.COMPLETE
    comparison.completed_at = timezone.now()
    comparison.completed_xid = current_transaction_xid()
    comparison.save(update_fields=["status", "completed_at", "completed_xid", "updated_at"])
    comparison_completed.send(sender=Comparison, comparison=comparison)
