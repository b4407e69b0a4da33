"""The moderation pages: a lead's filter settings, and a trainer's judgement of one verdict."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from labeler.selectors import project_get_for_lead, project_get_for_member
from ranklab.errors import RankLabError
from safety.forms import ModerationEndpointForm
from safety.models import ModerationEndpoint
from safety.moderation import ModerationUnavailable, moderate
from safety.reviews import (
    HARM_CATEGORIES_SHOWN,
    moderation_review_save,
    verdict_get_for_reviewer,
    verdict_with_own_review,
)

CONNECTION_TEST_TEXT = "RankLab connection test: a harmless sentence."


@login_required
def moderation_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """Name the project's moderation endpoint, change it, switch it off, or test it (`action=test`)."""
    project = project_get_for_lead(user=request.user, slug=slug)
    endpoint = ModerationEndpoint.objects.filter(project=project).first()
    form = ModerationEndpointForm(request.POST or None, instance=endpoint)
    test = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "test":
            test = _connection_test(form.save(commit=False))
        else:
            saved = form.save(commit=False)
            saved.project = project
            saved.save()
            state = "checks every new candidate" if saved.is_active else "is switched off"
            messages.success(request, f"Saved: the filter {state}.")
            return redirect("moderation_settings", slug=project.slug)
    context = {"project": project, "tab": "moderation", "form": form, "endpoint": endpoint, "test": test}
    return TemplateResponse(request, "safety/moderation_settings.html", context)


def _connection_test(endpoint: ModerationEndpoint) -> dict:
    try:
        (result,) = moderate(endpoint=endpoint, texts=[CONNECTION_TEST_TEXT])
    except ModerationUnavailable as error:
        return {"ok": False, "message": str(error)}
    verdict = "flagged it" if result.flagged else "did not flag it"
    return {"ok": True, "message": f"The filter answered: it {verdict} ({len(result.scores)} category scores)."}


@login_required
@require_GET
def moderation_verdict(request: HttpRequest, slug: str, verdict_id: int) -> HttpResponse:
    """The verdict as it stands: a ranking screen opened before the filter answered asks again until it has."""
    project = project_get_for_member(user=request.user, slug=slug)
    verdict = verdict_get_for_reviewer(user=request.user, project=project, verdict_id=verdict_id)
    context = {
        "verdict": verdict_with_own_review(verdict=verdict, trainer=request.user),
        "project": project,
        "harm_categories": HARM_CATEGORIES_SHOWN,
    }
    return TemplateResponse(request, "safety/_verdict.html", context)


@login_required
@require_POST
def moderation_review(request: HttpRequest, slug: str, verdict_id: int) -> HttpResponse:
    """A trainer confirms or disputes the filter's verdict on a text of a comparison they hold."""
    project = project_get_for_member(user=request.user, slug=slug)
    verdict = verdict_get_for_reviewer(user=request.user, project=project, verdict_id=verdict_id)
    error = ""
    try:
        moderation_review_save(
            verdict=verdict,
            trainer=request.user,
            judgement=request.POST.get("judgement", ""),
            category=request.POST.get(f"category-{verdict.id}", request.POST.get("category", "")),
        )
    except RankLabError as refused:
        error = str(refused)
    context = {
        "verdict": verdict_with_own_review(verdict=verdict, trainer=request.user),
        "project": project,
        "harm_categories": HARM_CATEGORIES_SHOWN,
        "review_error": error,
        "just_saved": not error,
    }
    return TemplateResponse(request, "safety/_verdict.html", context, status=200)
