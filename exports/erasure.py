"""Which finished export files may hold what an erasure removes: those finished since its first comparison completed.

A file holds the comparisons that were complete when it was written, so a file finished before
the earliest completion cannot hold any; the others are listed to be rebuilt (conservatively:
its filters may have left them out).
"""

from exports.models import Export


def exports_holding_since(*, project_id: int, since, **_) -> list[dict]:
    done = Export.objects.filter(project_id=project_id, status=Export.Status.DONE, finished_at__gte=since)
    return [
        {"id": export.id, "format": export.format, "finished_at": export.finished_at.isoformat()}
        for export in done.order_by("id").only("id", "format", "finished_at")
    ]
