"""Reads for the lead's view of sampling and of the endpoints."""

from django.db.models import Count, Q, Sum

from labeler.models import Comparison, ModelEndpoint, Project

FAILED_SHOWN = 20


def project_sampling_summary(*, project: Project) -> dict:
    """What `labeler/_sampling_status.html` shows: counts by status, progress, failures.

    `active` is true while anything is pending or sampling (the partial polls while it is).
    """
    counts = dict.fromkeys(Comparison.Status.values, 0)
    retrying = 0
    rows = (
        project.comparisons.order_by()
        .values("status")
        .annotate(n=Count("id"), with_reason=Count("id", filter=~Q(failure_reason="")))
    )
    for row in rows:
        counts[row["status"]] = row["n"]
        if row["status"] == Comparison.Status.PENDING:
            retrying = row["with_reason"]
    total = sum(counts.values())
    sampled = counts[Comparison.Status.READY] + counts[Comparison.Status.COMPLETE]
    failed = list(
        project.comparisons.filter(status=Comparison.Status.FAILED)
        .select_related("prompt_message")
        .only("id", "project_id", "failure_reason", "updated_at", "prompt_message__content")
        .order_by("-updated_at", "-id")[:FAILED_SHOWN]
    )
    last_retry_reason = ""
    if retrying:
        last_retry_reason = (
            project.comparisons.filter(status=Comparison.Status.PENDING)
            .exclude(failure_reason="")
            .order_by("-updated_at")
            .values_list("failure_reason", flat=True)
            .first()
        )
    endpoints = project.endpoints.filter(is_active=True).aggregate(n=Count("id"), shares=Sum("share"))
    return {
        "counts": counts,
        "total": total,
        "sampled": sampled,
        "percent": round(100 * sampled / total) if total else 0,
        "active": bool(counts[Comparison.Status.PENDING] or counts[Comparison.Status.SAMPLING]),
        "retrying": retrying,
        "last_retry_reason": last_retry_reason,
        "failed": failed,
        "failed_hidden": max(0, counts[Comparison.Status.FAILED] - len(failed)),
        "endpoints": endpoints["n"],
        "shares": endpoints["shares"] or 0,
        "shares_match": (endpoints["shares"] or 0) == project.k,
    }


def endpoints_for_project(*, project: Project) -> list[ModelEndpoint]:
    return list(project.endpoints.order_by("id"))
