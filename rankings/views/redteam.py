"""Red-team pages: the successful attacks of a project, their success rates, and safe answers to them."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from labeler.harm import ATTACK_TACTICS
from labeler.models import Membership
from labeler.selectors import project_get_for_member
from rankings.redteam import AttackFilters, attack_success_rates, attacks_detail, attacks_for, safe_answer_save
from ranklab.errors import RankLabError

ATTACKS_PER_PAGE = 20


def _filters(data) -> AttackFilters:
    return AttackFilters(
        category=data.get("category", "")[:40],
        tactic=data.get("tactic", "")[:40],
        endpoint=data.get("endpoint", "")[:100],
    )


@login_required
def redteam_attacks(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_member(user=request.user, slug=slug)
    is_lead = project.viewer_role == Membership.Role.LEAD
    filters = _filters(request.GET)
    attacks, endpoints = attacks_for(project=project, user=request.user, role=project.viewer_role, filters=filters)
    page = Paginator(attacks, ATTACKS_PER_PAGE).get_page(request.GET.get("page"))
    category_labels = {category["key"]: category["label"] for category in project.harm_categories}
    tactic_labels = {tactic["key"]: tactic["label"] for tactic in ATTACK_TACTICS}
    details = attacks_detail(attacks=list(page.object_list))
    for detail in details:
        detail["marks"] = [
            {
                "trainer": mark.trainer,
                "category": category_labels.get(mark.category, mark.category),
                "tactic": tactic_labels.get(mark.tactic, mark.tactic),
            }
            for mark in detail["attack"].marks
        ]
    context = {
        "project": project,
        "tab": "red_team",
        "filters": filters,
        "query": urlencode({key: value for key, value in vars(filters).items() if value}),
        "page": page,
        "attacks": details,
        "endpoint_names": sorted({name for name in endpoints.values() if name}),
        "categories": project.harm_categories,
        "tactics": ATTACK_TACTICS,
        "is_lead": is_lead,
        # The rates gather every trainer's marks, also on comparisons a trainer has still to rank.
        "rates": attack_success_rates(project=project) if is_lead else None,
    }
    return TemplateResponse(request, "rankings/redteam.html", context)


@login_required
@require_POST
def redteam_safe_answer(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_member(user=request.user, slug=slug)
    back = reverse("redteam_attacks", args=[project.slug])
    if query := urlencode({key: value for key, value in vars(_filters(request.POST)).items() if value}):
        back += "?" + query
    try:
        safe_answer_save(
            project=project,
            user=request.user,
            role=project.viewer_role,
            harmful_candidate_id=_int(request.POST.get("harmful")),
            text=request.POST.get("text", ""),
            from_candidate_id=_int(request.POST["from_candidate"]) if request.POST.get("from_candidate") else None,
        )
    except RankLabError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Safe answer saved: it is chosen over the harmful answer in redteam_pairs exports.")
    return redirect(back)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise RankLabError("That answer could not be read; reload the page and try again.") from error
