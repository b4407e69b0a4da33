"""A lead's pages for creating a project and its settings (members: views/members.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from labeler import projects as project_services
from labeler.forms import ProjectForm
from labeler.models import Membership
from labeler.projects import project_status_counts
from labeler.queue import queue_scores_invalidate
from labeler.sampling.selectors import project_sampling_summary
from labeler.selectors import project_get_for_lead, project_get_for_member


@login_required
@permission_required("labeler.add_project", raise_exception=True)
def project_create(request: HttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = form.project_settings()
        project = project_services.project_create(user=request.user, **values)
        messages.success(request, f"Created {project.name}. Add trainers and import prompts next.")
        return redirect(project)
    return TemplateResponse(request, "labeler/project_form.html", {"form": form})


@login_required
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_member(user=request.user, slug=slug)
    context = {"project": project, "tab": "overview", "counts": project_status_counts(project=project)}
    if project.viewer_role == Membership.Role.LEAD:
        context["sampling"] = project_sampling_summary(project=project)
    return TemplateResponse(request, "labeler/project_detail.html", context)


@login_required
def project_settings(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        form.save()
        if "overlap" in form.changed_data:
            queue_scores_invalidate(project=project)
        messages.success(request, "Settings saved.")
        return redirect("project_settings", slug=project.slug)
    return TemplateResponse(
        request, "labeler/project_settings.html", {"project": project, "tab": "settings", "form": form}
    )
