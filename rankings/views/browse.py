"""The lead's data browser: a project's comparisons, filtered, and each one read-only with all its rankings."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F
from django.db.models.functions import Substr
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.functional import cached_property

from labeler.selectors import project_get_for_lead
from rankings.adjudications import comparison_review
from rankings.browse import BrowseForm, browse_query, comparisons_browse, tiers_lettered

COMPARISONS_PER_PAGE = 50
EXCERPT_CHARS = 160


class CountingPaginator(Paginator):
    """Counts the matching comparisons themselves: the joins that bring each row's prompt and agreement
    would make the count read every matching prompt too."""

    def __init__(self, rows, per_page: int, *, matching):
        super().__init__(rows, per_page)
        self.matching = matching

    @cached_property
    def count(self) -> int:
        return self.matching.count()


@login_required
def comparison_browse(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    form = BrowseForm(request.GET, project=project)
    context = {
        "project": project,
        "tab": "browse",
        "form": form,
        "search_is_full_text": connection.vendor == "postgresql",
    }
    if form.is_valid():
        filters = form.filters()
        matching = comparisons_browse(project=project, filters=filters)
        rows = matching.values(
            "id",
            "status",
            "created_at",
            "rankings_count",
            "is_gold",
            prompt=Substr("prompt_message__content", 1, EXCERPT_CHARS),
            agreement=F("agreement_figure__exact"),
        )
        query = browse_query(filters)
        context |= {
            "page": CountingPaginator(rows, COMPARISONS_PER_PAGE, matching=matching).get_page(request.GET.get("page")),
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
    letters = {candidate.id: chr(ord("A") + index) for index, candidate in enumerate(review.candidates)}
    flag_labels = {flag["key"]: flag["label"] for flag in project.flag_taxonomy}
    rankings = [
        {
            "ranking": row["ranking"],
            "tiers": tiers_lettered(row["ranking"].tiers, letters),
            "flags": [
                (letters.get(int(candidate), "?"), [flag_labels.get(key, key) for key in keys])
                for candidate, keys in sorted(
                    row["ranking"].flags.items(), key=lambda item: letters.get(int(item[0]), "?")
                )
                if keys
            ],
        }
        for row in review.rows
    ]
    context = {
        "project": project,
        "tab": "browse",
        "review": review,
        "candidates": [(letters[candidate.id], candidate) for candidate in review.candidates],
        "rankings": rankings,
        "consensus": tiers_lettered(review.consensus, letters),
        "ruling": tiers_lettered(review.adjudication.tiers, letters) if review.adjudication else "",
        "back": request.GET.get("back", ""),
    }
    return TemplateResponse(request, "rankings/browse_detail.html", context)
