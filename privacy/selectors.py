"""Reads of personal data that serve requests; the project comes from a membership-checking selector."""

from django.db.models import Count

from labeler.models import Candidate, Message, Project
from privacy.models import PiiScan, PiiSpan


def scan_progress(*, project: Project) -> dict:
    """How many of the project's texts the background scan has read, and what it found, by type."""
    texts = (
        Message.objects.filter(conversation__project=project).count()
        + Candidate.objects.filter(comparison__project=project).count()
    )
    scanned = PiiScan.objects.filter(project=project).count()
    by_type: dict[str, dict[str, int]] = {}
    counted = PiiSpan.objects.filter(project=project).values("entity_type", "status").annotate(n=Count("id"))
    for row in counted:
        by_type.setdefault(row["entity_type"], {})[row["status"]] = row["n"]
    return {"texts": texts, "scanned": scanned, "by_type": dict(sorted(by_type.items()))}
