"""A trainer's own rankings in a project, newest first, and revising one while that is allowed.

Only the trainer's own rankings: never another trainer's, nor the comparison's consensus.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from labeler.models import Assignment
from labeler.selectors import project_get_for_trainer
from rankings.adjudications import named_tiers, strength_steps
from rankings.models import Ranking
from rankings.ratings import ratings_of
from rankings.revisions import ranking_revisable, ranking_revise, revise_deadline
from rankings.services import ConfirmationNeeded
from rankings.views.ranking import comparison_context, judgement_from
from ranklab.errors import RankLabError

RANKINGS_PER_PAGE = 20


@login_required
def rank_history(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_trainer(user=request.user, slug=slug)
    rankings = (
        Ranking.objects.filter(trainer=request.user, comparison__project=project)
        .select_related("comparison__prompt_message")
        .order_by("-submitted_at", "-id")
    )
    page = Paginator(rankings, RANKINGS_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {
            "ranking": ranking,
            "prompt": ranking.comparison.prompt_message.content,
            "tiers": (tiers := named_tiers(ranking.tiers, _letters(ranking.display_order))),
            "strengths": strength_steps(tiers, ranking.strengths, comparative=project.comparative),
            "complete": ranking.comparison.status != ranking.comparison.Status.READY,
            "revisable": ranking_revisable(ranking=ranking, project=project, now=now),
            "deadline": revise_deadline(ranking=ranking, project=project),
        }
        for ranking in page.object_list
    ]
    context = {"project": project, "page": page, "rows": rows}
    return TemplateResponse(request, "rankings/history.html", context)


@login_required
def ranking_revise_page(request: HttpRequest, slug: str, ranking_id: int) -> HttpResponse:
    """The ranking screen with the trainer's ranking as they left it; POST replaces it."""
    project = project_get_for_trainer(user=request.user, slug=slug)
    ranking = (
        Ranking.objects.filter(id=ranking_id, trainer=request.user, comparison__project=project)
        .select_related("comparison")
        .first()
    )
    if ranking is None:
        raise Http404("No such ranking")
    if request.method != "POST":
        if not ranking_revisable(ranking=ranking, project=project):
            messages.warning(request, "This ranking can no longer be revised.")
            return redirect("rank_history", slug=project.slug)
        return _revise_page(request, project, ranking, _as_submitted(ranking, rated=bool(project.rubric)))
    try:
        ranking_revise(
            trainer=request.user, project=project, ranking_id=ranking.id, judgement=judgement_from(request.POST)
        )
    except ConfirmationNeeded as question:
        return _revise_page(request, project, ranking, request.POST, error=str(question), confirm=True)
    except RankLabError as error:
        if not ranking_revisable(ranking=ranking, project=project):
            return _to_history(request, project, str(error), level=messages.WARNING)
        return _revise_page(request, project, ranking, request.POST, error=str(error))
    return _to_history(request, project, "Ranking revised.")


def _to_history(request, project, note: str, *, level: int = messages.SUCCESS) -> HttpResponse:
    messages.add_message(request, level, note)
    url = reverse("rank_history", args=[project.slug])
    if request.htmx:
        # The form swaps its own area by default: a revision ends on the history page instead.
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)


def _revise_page(request, project, ranking, submitted, *, error="", confirm=False) -> HttpResponse:
    # The ranking screen reads the display order and the trainer from a lease: the ranking keeps both.
    assignment = Assignment(
        id=ranking.assignment_id,
        comparison_id=ranking.comparison_id,
        trainer_id=ranking.trainer_id,
        display_order=ranking.display_order,
    )
    context = {
        "project": project,
        "assignment": assignment,
        "error": error,
        "confirm": confirm,
        "revising": True,
        "guidelines_aside": True,
        "note": "You are revising your ranking: it replaces the one you submitted.",
        "note_level": "warning",
        "submit_url": reverse("ranking_revise", args=[project.slug, ranking.id]),
        **comparison_context(project, assignment, submitted),
    }
    template = "rankings/rank.html#rank-area" if request.htmx else "rankings/rank.html"
    return TemplateResponse(request, template, context)


def _as_submitted(ranking: Ranking, *, rated: bool) -> QueryDict:
    """The ranking as the form would send it, so the screen starts from what the trainer submitted."""
    data = QueryDict(mutable=True)
    data["tiers"] = json.dumps(ranking.tiers)
    for candidate, keys in ranking.flags.items():
        data.setlist(f"flag-{candidate}", keys)
    for candidate, attack in ranking.attacks.items():
        data[f"attack-{candidate}"] = "1"
        data[f"attack-category-{candidate}"] = attack.get("category", "")
        data[f"attack-tactic-{candidate}"] = attack.get("tactic", "")
    for index, strength in enumerate(ranking.strengths):
        data[f"strength-{index}"] = strength
    for candidate, values in (ratings_of(ranking=ranking) if rated else {}).items():
        for attribute, value in values.items():
            data[f"rating-{candidate}-{attribute}"] = str(value)
    data["rationale"] = ranking.rationale
    if ranking.none_acceptable:
        data["none_acceptable"] = "1"
    return data


def _letters(display_order: list[int]) -> dict[int, str]:
    return {candidate: chr(ord("A") + index) for index, candidate in enumerate(display_order)}
