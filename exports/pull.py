"""Incremental pulls of completed comparisons, safe against late-committing transactions.

A comparison's `completed_xid` is the id of the transaction that completed it. Transaction
ids are handed out when a transaction starts writing, not when it commits, so "greater than
the last id seen" would skip a transaction that started early and committed late. A pull
therefore hands out only rows whose xid is below the oldest transaction still running (the
snapshot's xmin): every transaction below it has finished, so no row can appear there later.
Rows are ordered by (xid, id) and the cursor is the last pair handed out.

Transaction ids are shared by every database of the server, so transactions that
pg_stat_activity places in another database are left out of the horizon: they cannot write
here, and a shared server is always busy somewhere. An open transaction in this database
holds back new rows until it ends: rows are delayed, never lost.
"""

import base64
import binascii
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from labeler.models import Comparison, Project
from ranklab.database import visible_horizon
from ranklab.errors import RankLabError

_MAX_KEY = 2**63 - 1


@dataclass(frozen=True)
class Cursor:
    xid: int
    id: int

    # URL-safe base64 of "v1:<xid>:<id>", two 19-digit numbers at most. Not empty: the empty
    # `after` (the first pull) is its own branch of the schema, and a value must match one only.
    PATTERN = r"^[A-Za-z0-9_-]+$"
    MAX_LENGTH = 64

    def encode(self) -> str:
        return base64.urlsafe_b64encode(f"v1:{self.xid}:{self.id}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> "Cursor":
        if not text:
            return cls(0, 0)
        try:
            version, xid, comparison_id = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().split(":")
            cursor = cls(int(xid), int(comparison_id))
            if version != "v1" or not (0 <= cursor.xid <= _MAX_KEY and 0 <= cursor.id <= _MAX_KEY):
                raise ValueError(version)
            return cursor
        except (ValueError, UnicodeDecodeError, binascii.Error) as error:
            raise RankLabError("The cursor is not one this API handed out.") from error


# The oldest running transaction that is not known to belong to another database (one that
# ended before pg_stat_activity was read counts as ours), else the snapshot's xmax.
def completed_after(*, project: Project, cursor: Cursor, horizon: int | None) -> QuerySet[Comparison]:
    comparisons = Comparison.objects.filter(project=project, completed_xid__isnull=False).filter(
        Q(completed_xid__gt=cursor.xid) | Q(completed_xid=cursor.xid, id__gt=cursor.id)
    )
    if horizon is not None:
        comparisons = comparisons.filter(completed_xid__lt=horizon)
    return comparisons.order_by("completed_xid", "id")


@dataclass(frozen=True)
class Page:
    comparisons: QuerySet[Comparison]
    next_cursor: Cursor


def pull_page(*, project: Project, cursor: Cursor, limit: int) -> Page:
    """The next `limit` completed comparisons after `cursor`, and the cursor after them.

    The end is fixed before any row is sent, so the cursor can go in the response headers.
    """
    window = completed_after(project=project, cursor=cursor, horizon=visible_horizon())
    keys = window.values_list("completed_xid", "id")
    last = list(keys[limit - 1 : limit]) or list(keys.reverse()[:1])
    if not last:
        return Page(Comparison.objects.none(), cursor)
    end = Cursor(*last[0])
    page = window.filter(Q(completed_xid__lt=end.xid) | Q(completed_xid=end.xid, id__lte=end.id))
    return Page(page, end)
