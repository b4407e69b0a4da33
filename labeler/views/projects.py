"""A lead's pages for creating a project, its settings and its members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from labeler import projects as project_services
from labeler.forms import MembershipForm, ProjectForm
from labeler.models import Membership
from labeler.projects import membership_remove, membership_set, project_status_counts
from labeler.sampling.selectors import project_sampling_summary
from labeler.selectors import project_get_for_lead, project_get_for_member
from ranklab.errors import RankLabError


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
        messages.success(request, "Settings saved.")
        return redirect("project_settings", slug=project.slug)
    return TemplateResponse(
        request, "labeler/project_settings.html", {"project": project, "tab": "settings", "form": form}
    )


@login_required
def project_members(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    form = MembershipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = membership_set(project=project, **form.cleaned_data)
        except RankLabError as error:
            form.add_error("username", str(error))
        else:
            messages.success(request, f"{membership.user.username} is now a {membership.get_role_display().lower()}.")
            return redirect("project_members", slug=project.slug)
    members = list(project.memberships.select_related("user").order_by("role", "user__username"))
    # The service refuses to remove the last lead: the page does not offer it.
    leads = sum(membership.role == Membership.Role.LEAD for membership in members)
    for membership in members:
        membership.removable = membership.role != Membership.Role.LEAD or leads > 1
    context = {"project": project, "tab": "members", "form": form, "members": members}
    return TemplateResponse(request, "labeler/project_members.html", context)


@login_required
@require_POST
def project_member_remove(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    try:
        membership_remove(project=project, membership_id=membership_id)
    except RankLabError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Removed.")
    return redirect("project_members", slug=project.slug)
