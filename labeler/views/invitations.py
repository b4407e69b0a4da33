"""The invitee's side of an invitation: open the link, choose a username and password, join."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache

from labeler import invitations
from labeler.invitations import InvitationUnusable
from ranklab.errors import RankLabError

# The session is made here, after the account: no password has been checked, so no throttling applies.
_BACKEND = "django.contrib.auth.backends.ModelBackend"


@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitations.invitation_open(token=token)
    except InvitationUnusable as error:
        # An unknown link looks like any page that does not exist; a used or expired one says so.
        status = 410 if error.known else 404
        return TemplateResponse(request, "labeler/invitation_unusable.html", {"reason": str(error)}, status=status)
    if invitation.existing_user is not None:
        return _join_existing(request, token, invitation)
    form = UserCreationForm(request.POST or None)
    # The password validators compare the password with the address too.
    form.instance.email = invitation.email
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.invitation_accept(
                token=token, username=form.cleaned_data["username"], password=form.cleaned_data["password1"]
            )
        except RankLabError as error:
            form.add_error(None, str(error))
        else:
            login(request, user, backend=_BACKEND)
            messages.success(request, f"Welcome, {user.username}: you are a member of {invitation.project.name}.")
            return redirect(invitation.project)
    context = {"invitation": invitation, "form": form, "role": invitation.get_role_display().lower()}
    return TemplateResponse(request, "labeler/invitation_accept.html", context)


def _join_existing(request: HttpRequest, token: str, invitation) -> HttpResponse:
    """The address has an account (made since the invitation left): one click adds it, logging in stays a login."""
    if request.method == "POST":
        try:
            invitations.invitation_accept(token=token)
        except RankLabError as error:
            return TemplateResponse(request, "labeler/invitation_unusable.html", {"reason": str(error)}, status=410)
        messages.success(
            request, f"Your account {invitation.existing_user.username} is a member of {invitation.project.name}."
        )
        return redirect(f"{reverse('login')}?next={invitation.project.get_absolute_url()}")
    context = {"invitation": invitation, "form": None, "role": invitation.get_role_display().lower()}
    return TemplateResponse(request, "labeler/invitation_accept.html", context)
