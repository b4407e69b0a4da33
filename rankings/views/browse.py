"""The lead's data browser: a project's comparisons, filtered, and each one read-only with all its rankings."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from labeler.selectors import project_get_for_lead
from rankings.adjudications import comparison_review, named_tiers
from rankings.browse import (
    BrowseForm,
    browse_query,
    comparisons_browse,
    comparisons_rows,
    newest_matches,
    tiers_text,
)
from rankings.models import JudgeRanking

COMPARISONS_PER_PAGE = 50
MATCHES_SHOWN = 2000
EXCERPT_CHARS = 160


@login_required
def comparison_browse(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    form = BrowseForm(request.GET, project=project)
    context = {
        "project": project,
        "tab": "browse",
        "form": form,
        "search_is_full_text": connection.vendor == "postgresql",
        "matches_shown": MATCHES_SHOWN,
    }
    if form.is_valid():
        filters = form.filters()
        matching = comparisons_browse(project=project, filters=filters).values_list("id", flat=True)
        if filters:
            # The newest matches, at most one more than are shown, in one query: a count of every match
            # would read as much as the list itself, and a lead narrows the filters rather than paging on.
            ids = newest_matches(matching, limit=MATCHES_SHOWN + 1)
            if ids is None:
                form.add_error(None, "These filters match too much to list in time: add words, or another filter.")
                return TemplateResponse(request, "rankings/browse.html", context)
            more = len(ids) > MATCHES_SHOWN
            page = Paginator(ids[:MATCHES_SHOWN], COMPARISONS_PER_PAGE).get_page(request.GET.get("page"))
        else:
            more = False
            page = Paginator(matching, COMPARISONS_PER_PAGE).get_page(request.GET.get("page"))
        page.object_list = comparisons_rows(ids=list(page.object_list), excerpt_chars=EXCERPT_CHARS)
        query = browse_query(filters)
        context |= {
            "page": page,
            "more": more,
            "query": query,
            "filtered": bool(filters),
            "export_query": urlencode({"browser_filter": query}) if query else "",
        }
    return TemplateResponse(request, "rankings/browse.html", context)


@login_required
def comparison_browse_detail(request: HttpRequest, slug: str, comparison_id: int) -> HttpResponse:
    """One comparison as it stands: its conversation, its candidates as trainers saw them, every ranking."""
    project = project_get_for_lead(user=request.user, slug=slug)
    review = comparison_review(project=project, comparison_id=comparison_id)
    cards = sorted(review.cards, key=lambda card: card.letter)
    letters = {card.candidate.id: card.letter for card in cards}
    context = {
        "project": project,
        "tab": "browse",
        "review": review,
        "cards": cards,
        "rankings": [{**row, "tiers": tiers_text(row["tiers"])} for row in review.rows],
        "consensus": tiers_text(review.consensus_letters),
        "ruling": tiers_text(named_tiers(review.adjudication.tiers, letters)) if review.adjudication else "",
        "back": request.GET.get("back", ""),
        "judge": _judge_ranking(review.comparison, letters),
    }
    return TemplateResponse(request, "rankings/browse_detail.html", context)


def _judge_ranking(comparison, letters: dict[int, str]) -> dict | None:
    """The AI judge's ranking and its runs in the letters of the page; a lead's page only."""
    row = JudgeRanking.objects.filter(comparison=comparison).first()
    if row is None:
        return None
    runs = [
        {
            "order": " ".join(letters.get(candidate, "?") for candidate in run["order"]),
            "tiers": tiers_text(named_tiers(run["tiers"], letters)) if run["tiers"] else "",
            "reply": run["reply"],
            "error": run["error"],
        }
        for run in row.runs
    ]
    tiers = tiers_text(named_tiers(row.tiers, letters)) if row.tiers else ""
    return {"row": row, "tiers": tiers, "runs": runs}
