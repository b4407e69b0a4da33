"""Personal data: a lead's page (the export policy, the scan's progress, erasure and its log), and the
ranking screen's calls that confirm, dismiss or mark a span (JSON, for static/js/pii.js)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from labeler.selectors import project_get_for_lead, project_get_for_member
from privacy import review
from privacy.erasure import erasure_do, erasure_plan
from privacy.exporting import pii_policy_of
from privacy.models import Erasure, PiiPolicy
from privacy.policy import pii_policy_set
from privacy.selectors import pii_span_get_for_reviewer, pii_text_visible, scan_progress
from ranklab.errors import RankLabError


class PolicyForm(forms.Form):
    policy = forms.ChoiceField(choices=PiiPolicy.Policy.choices, widget=forms.RadioSelect)


class ErasureForm(forms.Form):
    external_id = forms.CharField(required=False, max_length=255, label="Conversation id")
    search = forms.CharField(
        required=False, max_length=500, label="Or a text in it", help_text="An e-mail address, a name, a number."
    )


@login_required
def pii_settings(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    policy = pii_policy_of(project=project)
    form = PolicyForm(request.POST or None, initial={"policy": policy.policy})
    if request.method == "POST" and form.is_valid():
        try:
            pii_policy_set(project=project, user=request.user, policy=form.cleaned_data["policy"])
        except RankLabError as error:
            form.add_error("policy", str(error))
        else:
            messages.success(request, "Export policy saved.")
            return redirect("pii_settings", slug=project.slug)
    context = {
        "project": project,
        "tab": "privacy",
        "form": form,
        "policy": policy,
        "progress": scan_progress(project=project),
        "erasure_form": ErasureForm(),
        "erasures": Erasure.objects.filter(project=project).select_related("erased_by")[:50],
    }
    return TemplateResponse(request, "privacy/settings.html", context)


@login_required
def erasure_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The search comes by POST: in a URL it would be written to every access log on the way."""
    project = project_get_for_lead(user=request.user, slug=slug)
    form = ErasureForm(request.POST or None)
    plan = None
    if request.method == "POST" and form.is_valid() and any(form.cleaned_data.values()):
        try:
            plan = erasure_plan(project=project, **form.cleaned_data)
        except RankLabError as error:
            form.add_error(None, str(error))
    context = {"project": project, "tab": "privacy", "form": form, "plan": plan}
    return TemplateResponse(request, "privacy/erasure_preview.html", context)


@login_required
@require_POST
def erasure_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    form = ErasureForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a conversation id or a text to search for.")
        return redirect("pii_settings", slug=project.slug)
    try:
        erasure = erasure_do(
            project=project, user=request.user, token=request.POST.get("token", ""), **form.cleaned_data
        )
    except RankLabError as error:
        messages.error(request, str(error))
        return redirect("pii_settings", slug=project.slug)
    messages.success(
        request, f"Erased {len(erasure.conversation_ids)} conversation(s) and everything derived from them."
    )
    return redirect("pii_settings", slug=project.slug)


def _json_error(error: RankLabError) -> JsonResponse:
    return JsonResponse({"ok": False, "error": str(error)}, status=400)


@login_required
@require_POST
def pii_span_decide(request: HttpRequest, slug: str, span_id: int) -> JsonResponse:
    project = project_get_for_member(user=request.user, slug=slug)
    span = pii_span_get_for_reviewer(user=request.user, project=project, span_id=span_id)
    try:
        span = review.pii_span_decide(span=span, user=request.user, decision=request.POST.get("decision", ""))
    except RankLabError as error:
        return _json_error(error)
    return JsonResponse({"ok": True, "span": span.id, "status": span.status})


@login_required
@require_POST
def pii_span_mark(request: HttpRequest, slug: str) -> JsonResponse:
    project = project_get_for_member(user=request.user, slug=slug)
    target = request.POST.get("target", "")
    kind, _, raw_id = target.partition(":")
    # A target that does not parse is the service's to refuse, by its field; one the caller may not see is not there.
    known = kind in ("message", "candidate") and raw_id.isdigit()
    if known and not pii_text_visible(user=request.user, project=project, **{f"{kind}_id": int(raw_id)}):
        raise Http404("No such text")
    try:
        marked = review.pii_span_mark(
            project=project,
            user=request.user,
            target=target,
            value=request.POST.get("value", ""),
            entity_type=request.POST.get("entity_type", ""),
        )
    except RankLabError as error:
        return _json_error(error)
    return JsonResponse({"ok": True, "spans": [span.id for span in marked]})
