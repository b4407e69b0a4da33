"""A lead's members page: who is in the project, invitations by e-mail, pausing and removing trainers."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from labeler import invitations
from labeler.forms import InvitationForm, MembershipForm
from labeler.invitation_lists import InvitationListError, invitees_parse
from labeler.models import Membership
from labeler.projects import membership_pause, membership_remove, membership_resume, membership_set
from labeler.selectors import project_get_for_lead
from ranklab.errors import RankLabError

# What a line of an invitation list may call a role.
_ROLE_WORDS = {value: value for value in Membership.Role.values} | {
    label.lower(): value for value, label in Membership.Role.choices
}


def _site_url(request: HttpRequest) -> str:
    """Where the links in a mail point: the address the lead is using."""
    return request.build_absolute_uri("/").rstrip("/")


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
    return _members_page(request, project, form=form, invite_form=InvitationForm())


@login_required
@require_POST
def project_invite(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    invite_form = InvitationForm(request.POST, request.FILES)
    if invite_form.is_valid():
        try:
            invitees = invitees_parse(
                invite_form.cleaned_data["text"], default_role=invite_form.cleaned_data["role"], roles=_ROLE_WORDS
            )
            sent = invitations.invitations_create(
                project=project, invitees=invitees, invited_by=request.user, site_url=_site_url(request)
            )
        except InvitationListError as error:
            invite_form.add_error(None, "Nobody was invited. Fix these lines and send the list again:")
            for line in error.errors:
                invite_form.add_error(None, line)
        except RankLabError as error:
            invite_form.add_error(None, str(error))
        else:
            _say_what_was_sent(request, sent)
            return redirect("project_members", slug=project.slug)
    return _members_page(request, project, form=MembershipForm(), invite_form=invite_form)


def _say_what_was_sent(request: HttpRequest, sent) -> None:
    if sent.invited:
        n = len(sent.invited)
        messages.success(request, f"Invited {n} {'person' if n == 1 else 'people'} by e-mail.")
    if sent.added:
        messages.success(request, f"Added at once, as they have an account: {', '.join(sent.added)}.")
    if sent.unsent:
        messages.error(
            request, f"The mail to {', '.join(sent.unsent)} could not be sent: use Resend once the mail server is back."
        )


def _members_page(request, project, *, form, invite_form) -> TemplateResponse:
    members = list(project.memberships.select_related("user").order_by("role", "user__username"))
    # The service refuses to remove the last lead: the page does not offer it.
    leads = sum(membership.role == Membership.Role.LEAD for membership in members)
    for membership in members:
        membership.removable = membership.role != Membership.Role.LEAD or leads > 1
    context = {
        "project": project,
        "tab": "members",
        "form": form,
        "invite_form": invite_form,
        "members": members,
        "invitations": invitations.invitations_of(project=project),
        "invitation_days": settings.RANKLAB_INVITATION_DAYS,
    }
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


@login_required
@require_POST
def project_member_pause(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    try:
        membership = membership_pause(project=project, membership_id=membership_id)
    except RankLabError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"Paused {membership.user.username}: the comparisons they held went back to the queue."
        )
    return redirect("project_members", slug=project.slug)


@login_required
@require_POST
def project_member_resume(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    try:
        membership = membership_resume(project=project, membership_id=membership_id)
    except RankLabError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{membership.user.username} may rank again.")
    return redirect("project_members", slug=project.slug)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    try:
        invitation = invitations.invitation_revoke(project=project, invitation_id=invitation_id)
    except RankLabError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Revoked the invitation to {invitation.email}: its link no longer works.")
    return redirect("project_members", slug=project.slug)


@login_required
@require_POST
def invitation_resend(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    try:
        sent = invitations.invitation_resend(project=project, invitation_id=invitation_id, site_url=_site_url(request))
    except RankLabError as error:
        messages.error(request, str(error))
    else:
        if sent:
            messages.success(request, "Sent again with a new link; the old link no longer works.")
        else:
            messages.error(request, "The mail could not be sent: try again once the mail server is back.")
    return redirect("project_members", slug=project.slug)
