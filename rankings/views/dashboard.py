"""A lead's pages: the statistics dashboard and the review of one comparison.

The dashboard reads only the cached ProjectStats row, whatever the number of rankings; the
figures are recomputed in the background (rankings/refresh.py), and the page polls a small
status partial that reloads it once newer figures are stored.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from labeler.selectors import project_get_for_lead
from rankings import adjudications
from rankings.adjudications import adjudication_save, ruling_from
from rankings.charts import bar_chart, line_chart, scatter
from rankings.filter_errors import ReviewedVerdict, filter_error_rates
from rankings.models import ProjectStats
from rankings.refresh import enqueue_stats_refresh
from ranklab.errors import RankLabError
from safety.models import ModerationEndpoint
from safety.moderation import harm_key
from safety.reviews import HARM_KEYS, HARM_LABELS, reviewed_verdicts

# InstructGPT's trainers agreed with each other on 72.6 ± 1.5 % of comparisons.
INSTRUCTGPT_AGREEMENT = 0.726


@login_required
def project_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    stats = ProjectStats.objects.filter(project=project).first()
    data = stats.data if stats and stats.data else None
    context = {"project": project, "tab": "dashboard", "stats": stats, "data": data}
    context["stats_version"] = _stats_version(stats)
    if data:
        context["charts"] = _charts(data)
        if data.get("ratings"):
            context["rating_charts"] = _rating_charts(data["ratings"])
    if ModerationEndpoint.objects.filter(project=project).exists():
        context["moderation"] = _moderation(project)
    return TemplateResponse(request, "rankings/dashboard.html", context)


def _moderation(project) -> dict:
    """The filter's error rates from trainers' reviews, computed on request from one query."""
    verdicts = [
        ReviewedVerdict(
            flagged=frozenset(harm_key(category) or category for category in categories) if flagged else frozenset(),
            reviews=tuple(reviews),
        )
        for flagged, categories, reviews in reviewed_verdicts(project=project)
    ]
    figures = filter_error_rates(verdicts, categories=HARM_KEYS)
    for row in figures["rows"]:
        row["label"] = "any category" if row["category"] == "any" else HARM_LABELS.get(row["category"], row["category"])
    return figures


@login_required
def project_stats_status(request: HttpRequest, slug: str) -> HttpResponse:
    """The dashboard's "computed …" line, polled by the page: once figures newer than the ones it
    shows (`shown`) are stored, the page reloads itself."""
    project = project_get_for_lead(user=request.user, slug=slug)
    stats = ProjectStats.objects.filter(project=project).defer("data").first()
    context = {"project": project, "stats": stats, "stats_version": _stats_version(stats)}
    response = TemplateResponse(request, "rankings/dashboard.html#computed-at", context)
    if request.GET.get("shown", context["stats_version"]) != context["stats_version"]:
        response["HX-Refresh"] = "true"
    return response


def _stats_version(stats: ProjectStats | None) -> str:
    """When the figures were computed, to the microsecond; empty before the first computation."""
    computed_at = stats.computed_at if stats else None
    return f"{computed_at.timestamp():.6f}" if computed_at else ""


@login_required
@require_POST
def project_stats_recompute(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    enqueue_stats_refresh(project_id=project.id)
    messages.success(request, "Recomputing in the background: this page updates itself when the figures are ready.")
    return redirect("project_dashboard", slug=project.slug)


@login_required
def comparison_open(request: HttpRequest, slug: str) -> HttpResponse:
    """The dashboard's "open comparison #" box."""
    project = project_get_for_lead(user=request.user, slug=slug)
    comparison_id = request.GET.get("comparison", "").strip().lstrip("#")
    if not comparison_id.isdigit():
        messages.error(request, "Give a comparison number.")
        return redirect("project_dashboard", slug=project.slug)
    return redirect("comparison_review", slug=project.slug, comparison_id=int(comparison_id))


@login_required
def comparison_review(request: HttpRequest, slug: str, comparison_id: int) -> HttpResponse:
    """All rankings of one comparison side by side; POST records the lead's ruling."""
    project = project_get_for_lead(user=request.user, slug=slug)
    review = adjudications.comparison_review(project=project, comparison_id=comparison_id)
    if request.method == "POST":
        try:
            adjudication_save(
                comparison=review.comparison,
                lead=request.user,
                tiers=ruling_from(request.POST),
                note=request.POST.get("note", ""),
                gold=request.POST.get("gold") == "on",
            )
        except RankLabError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Ruling saved: it is now this comparison's consensus.")
        return redirect("comparison_review", slug=project.slug, comparison_id=comparison_id)
    context = {"project": project, "tab": "dashboard", "review": review}
    return TemplateResponse(request, "rankings/comparison_review.html", context)


@login_required
@require_POST
def adjudication_remove(request: HttpRequest, slug: str, comparison_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    comparison = project.comparisons.filter(id=comparison_id).first()
    if comparison is None:
        raise Http404("No such comparison")
    adjudications.adjudication_remove(comparison=comparison)
    messages.success(request, "Ruling withdrawn: the trainers' consensus counts again.")
    return redirect("comparison_review", slug=project.slug, comparison_id=comparison_id)


def _rating_charts(ratings: dict) -> list[dict]:
    """Each rated attribute with the bar chart of its values' shares."""
    charts = []
    for attribute in ratings["attributes"]:
        rated = attribute["ratings"]
        bars = [
            {"label": str(row["value"]), "value": row["count"] / rated if rated else 0.0, "ci": None}
            for row in attribute["distribution"]
        ]
        charts.append({**attribute, "chart": bar_chart(bars)})
    return charts


def _charts(data: dict) -> dict:
    flagged = {row["trainer"] for row in data["flagged_trainers"]}
    positions = data["position_bias"]["by_position"]
    expected = data["position_bias"]["first"]["expected"]
    length_bars = [{"label": "all", "value": data["length_bias"]["share"], "ci": data["length_bias"]["ci"]}]
    length_bars += [
        {
            "label": row["username"],
            "value": row["length"]["share"],
            "ci": row["length"]["ci"],
            "flagged": row["trainer"] in flagged,
        }
        for row in data["trainers"]
        if row.get("length") and row["length"]["n"]
    ]
    return {
        "agreement": line_chart(
            [
                {"label": week["week"][5:], "value": week["exact"], "title": f"week of {week['week']}"}
                for week in data["agreement_by_week"]
            ],
            reference=INSTRUCTGPT_AGREEMENT,
            reference_label="InstructGPT 72.6%",
        ),
        "position": bar_chart(
            [
                {"label": f"shown {index + 1}", "value": share["share"], "ci": share["ci"]}
                for index, share in enumerate(positions)
            ],
            reference=expected if positions else None,
            reference_label="chance 1/K",
        ),
        "length": bar_chart(length_bars, reference=0.5, reference_label="no preference"),
        "trainers": scatter(
            [
                {
                    "x": row["median_seconds"],
                    "y": row["agreement"] and row["agreement"]["mean"],
                    "label": row["username"],
                    "flagged": row["trainer"] in flagged,
                }
                for row in data["trainers"]
            ],
            reference=data["thresholds"]["agreement_floor"],
            reference_label="flag floor",
        ),
    }
