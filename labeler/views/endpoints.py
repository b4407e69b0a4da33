"""A lead's pages for the project's model endpoints and for sampling progress."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from labeler.sampling import endpoints as endpoint_services
from labeler.sampling.forms import EndpointForm
from labeler.sampling.queueing import comparison_resample, comparisons_retry_failed
from labeler.sampling.selectors import endpoints_for_project, project_sampling_summary
from labeler.selectors import project_get_for_lead
from ranklab.errors import RankLabError


@login_required
def endpoint_list(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    endpoints = endpoints_for_project(project=project)
    shares = sum(endpoint.share for endpoint in endpoints if endpoint.is_active)
    context = {"project": project, "tab": "endpoints", "endpoints": endpoints, "shares": shares}
    return TemplateResponse(request, "labeler/endpoint_list.html", context)


@login_required
def endpoint_create(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    form = EndpointForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = endpoint_services.endpoint_create(project=project, **form.endpoint_values())
        except RankLabError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Added {endpoint.name}. Test the connection before sampling.")
            return redirect("endpoint_list", slug=project.slug)
    context = {"project": project, "tab": "endpoints", "form": form, "endpoint": None}
    return TemplateResponse(request, "labeler/endpoint_form.html", context)


@login_required
def endpoint_edit(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    endpoint = get_object_or_404(project.endpoints, id=endpoint_id)
    form = EndpointForm(request.POST or None, instance=endpoint, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint_services.endpoint_update(endpoint=endpoint, **form.endpoint_values())
        except RankLabError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Saved {endpoint.name}.")
            return redirect("endpoint_list", slug=project.slug)
    context = {"project": project, "tab": "endpoints", "form": form, "endpoint": endpoint}
    return TemplateResponse(request, "labeler/endpoint_form.html", context)


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    try:
        endpoint_services.endpoint_delete(project=project, endpoint_id=endpoint_id)
    except RankLabError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Endpoint removed; the candidates it sampled stay.")
    return redirect("endpoint_list", slug=project.slug)


@login_required
@require_POST
def endpoint_test(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    endpoint = get_object_or_404(project.endpoints, id=endpoint_id)
    result = endpoint_services.endpoint_test(endpoint=endpoint)
    context = {"project": project, "endpoint": endpoint, "result": result}
    return TemplateResponse(request, "labeler/_endpoint_test_result.html", context)


@login_required
def project_sampling_status(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    return _sampling_status(request, project)


@login_required
@require_POST
def sampling_retry_failed(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    count = comparisons_retry_failed(project=project)
    notice = f"Sampling {count} failed comparison{'s' if count != 1 else ''} again." if count else "Nothing failed."
    return _after_action(request, project, notice=notice)


@login_required
@require_POST
def sampling_resample(request: HttpRequest, slug: str, comparison_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    try:
        comparison_resample(project=project, comparison_id=comparison_id)
    except RankLabError as error:
        return _after_action(request, project, error=str(error))
    return _after_action(request, project, notice=f"Sampling comparison {comparison_id} afresh.")


def _sampling_status(request: HttpRequest, project, **extra) -> HttpResponse:
    context = {"project": project, "sampling": project_sampling_summary(project=project), **extra}
    return TemplateResponse(request, "labeler/_sampling_status.html", context)


def _after_action(request: HttpRequest, project, *, notice: str = "", error: str = "") -> HttpResponse:
    """The refreshed partial for htmx; otherwise back to the overview with a message."""
    if request.htmx:
        return _sampling_status(request, project, notice=notice, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("project_detail", slug=project.slug)
