"""Reads of the safety loop that serve requests, each scoped to a project the caller may see."""

from django.db.models import Count, QuerySet
from django.http import Http404

from labeler.models import ModelEndpoint, Project
from safety.models import AuditAnswer, AuditProbe, AuditRun, AuditSuite


def suite_get(*, project: Project, suite_id: int) -> AuditSuite:
    suite = AuditSuite.objects.filter(project=project, id=suite_id).first()
    if suite is None:
        raise Http404("No such suite.")
    return suite


def suites_of(*, project: Project) -> QuerySet[AuditSuite]:
    return AuditSuite.objects.filter(project=project).annotate(probe_count=Count("probes")).order_by("name")


def endpoint_get(*, project: Project, endpoint_id: int) -> ModelEndpoint:
    endpoint = ModelEndpoint.objects.filter(project=project, id=endpoint_id).first()
    if endpoint is None:
        raise Http404("No such endpoint.")
    return endpoint


def runs_of(*, project: Project) -> QuerySet[AuditRun]:
    """The project's runs, newest first, with what their rows show."""
    return (
        AuditRun.objects.filter(suite__project=project)
        .select_related("suite", "endpoint", "baseline", "created_by")
        .defer("report")
    )


def run_get(*, project: Project, run_id: int) -> AuditRun:
    run = (
        AuditRun.objects.filter(suite__project=project, id=run_id)
        .select_related("suite", "endpoint", "baseline")
        .first()
    )
    if run is None:
        raise Http404("No such audit run.")
    return run


def run_answers(*, run: AuditRun) -> list[dict]:
    """One row per probe: its id and category, and the endpoint's and the baseline's classification, in one query."""
    rows: dict[int, dict] = {}
    answers = (
        AuditAnswer.objects.filter(run=run)
        .order_by("probe_id")
        .values("probe_id", "probe__external_id", "probe__category", "endpoint_id", "classification", "error")
    )
    for answer in answers:
        row = rows.setdefault(
            answer["probe_id"],
            {"probe_id": answer["probe_id"], "external_id": answer["probe__external_id"],
             "category": answer["probe__category"], "endpoint": None, "baseline": None},
        )  # fmt: skip
        side = "endpoint" if answer["endpoint_id"] == run.endpoint_id else "baseline"
        row[side] = answer["classification"] or "pending"
    return list(rows.values())


def probe_get(*, run: AuditRun, probe_id: int) -> AuditProbe:
    probe = AuditProbe.objects.filter(suite_id=run.suite_id, id=probe_id).first()
    if probe is None:
        raise Http404("No such probe.")
    return probe
