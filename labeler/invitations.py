"""Bringing people into a project by e-mail: invitations, their links, and accepting one.

A link carries a random token; the database keeps only its SHA-256, so a link works once,
until it expires or the lead revokes it, and cannot be read back from the database. Someone
who already has an account with the address is added at once and told by mail. There is no
other way to make an account: no open sign-up.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from labeler.invitation_lists import InvitationListError, Invitee
from labeler.models import Invitation, Membership, Project
from ranklab.errors import RankLabError

logger = logging.getLogger(__name__)


class InvitationUnusable(RankLabError):
    """The link is unknown, used, revoked or expired; `known` says whether it was ever valid."""

    def __init__(self, message: str, *, known: bool):
        super().__init__(message)
        self.known = known


@dataclass
class InvitationsSent:
    """What became of a list: who was invited, who joined at once, whose mail did not leave."""

    invited: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    unsent: list[str] = field(default_factory=list)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _users_by_email(emails: list[str]) -> dict:
    """Accounts with these (lower-case) addresses; the oldest one where two share an address."""
    users = (
        get_user_model()
        .objects.annotate(address=Lower("email"))
        .filter(address__in=emails, is_active=True)
        .order_by("-id")
    )
    return {user.address: user for user in users}


def invitations_create(*, project: Project, invitees: list[Invitee], invited_by, site_url: str) -> InvitationsSent:
    """Invite everyone on the list, or nobody: people with an account join at once; then the mail goes out."""
    now = timezone.now()
    outcome, mails = InvitationsSent(), []
    with transaction.atomic():
        users = _users_by_email([invitee.email for invitee in invitees])
        members = set(
            Membership.objects.filter(project=project, user__in=users.values()).values_list("user_id", flat=True)
        )
        taken = [
            f"line {invitee.line}: {invitee.email} is already a member of this project"
            for invitee in invitees
            if invitee.email in users and users[invitee.email].id in members
        ]
        if taken:
            raise InvitationListError(taken)
        for invitee in invitees:
            user = users.get(invitee.email)
            if user is not None:
                Membership.objects.create(project=project, user=user, role=invitee.role)
                outcome.added.append(invitee.email)
                mails.append(_added_mail(project=project, user=user, role=invitee.role, site_url=site_url))
                continue
            # A new invitation replaces any earlier one to the same address: one live link per person.
            _pending(Invitation.objects.filter(project=project, email=invitee.email), now).update(revoked_at=now)
            token = secrets.token_urlsafe(32)
            invitation = Invitation.objects.create(
                project=project,
                email=invitee.email,
                role=invitee.role,
                token_hash=_token_hash(token),
                invited_by=invited_by,
                sent_at=now,
                expires_at=now + timedelta(days=settings.RANKLAB_INVITATION_DAYS),
            )
            outcome.invited.append(invitee.email)
            mails.append(_invitation_mail(invitation=invitation, token=token, site_url=site_url))
    outcome.unsent = _send(mails)
    return outcome


def invitation_resend(*, project: Project, invitation_id: int, site_url: str) -> bool:
    """A fresh link and a fresh expiry for an invitation not yet used; the old link stops working. True if sent."""
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("project")
            .filter(project=project, id=invitation_id, accepted_at=None)
            .first()
        )
        if invitation is None:
            raise RankLabError("That invitation was accepted already or does not exist.")
        others = Invitation.objects.filter(project=project, email=invitation.email).exclude(id=invitation.id)
        _pending(others, now).update(revoked_at=now)
        token = secrets.token_urlsafe(32)
        invitation.token_hash = _token_hash(token)
        invitation.sent_at, invitation.revoked_at = now, None
        invitation.expires_at = now + timedelta(days=settings.RANKLAB_INVITATION_DAYS)
        invitation.save(update_fields=["token_hash", "sent_at", "revoked_at", "expires_at"])
    return not _send([_invitation_mail(invitation=invitation, token=token, site_url=site_url)])


def invitation_revoke(*, project: Project, invitation_id: int) -> Invitation:
    """The invitation's link stops working at once."""
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(project=project, id=invitation_id).first()
        if invitation is None:
            raise RankLabError("There is no such invitation.")
        if invitation.accepted_at is not None:
            raise RankLabError(f"{invitation.email} has accepted already: remove them from the members instead.")
        if invitation.revoked_at is None:
            invitation.revoked_at = now
            invitation.save(update_fields=["revoked_at"])
    return invitation


def invitations_of(*, project: Project) -> list[Invitation]:
    """The project's invitations, newest first, each with its `status` now."""
    now = timezone.now()
    invitations = list(project.invitations.select_related("invited_by", "accepted_by").order_by("-sent_at", "-id"))
    for invitation in invitations:
        invitation.status = invitation.status_at(now)
    return invitations


def invitation_open(*, token: str) -> Invitation:
    """The invitation of this link while it can be used; `existing_user`: the account the address has, if any."""
    invitation = Invitation.objects.select_related("project").filter(token_hash=_token_hash(token)).first()
    _check_usable(invitation, timezone.now())
    invitation.existing_user = _users_by_email([invitation.email]).get(invitation.email)
    return invitation


def invitation_accept(*, token: str, username: str = "", password: str = ""):
    """Use the link once: make the account (unless the address has one) and the membership. Returns the user."""
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("project")
            .filter(token_hash=_token_hash(token))
            .first()
        )
        _check_usable(invitation, now)
        user = _users_by_email([invitation.email]).get(invitation.email)
        if user is None:
            user = _account_create(username=username, email=invitation.email, password=password)
        Membership.objects.get_or_create(project=invitation.project, user=user, defaults={"role": invitation.role})
        invitation.accepted_at, invitation.accepted_by = now, user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return user


def _account_create(*, username: str, email: str, password: str):
    users = get_user_model().objects
    if not username or users.filter(username__iexact=username).exists():
        raise RankLabError("That username is taken: choose another.")
    try:
        with transaction.atomic():
            return users.create_user(username=username, email=email, password=password)
    except IntegrityError as error:
        raise RankLabError("That username is taken: choose another.") from error


def _pending(invitations, now):
    return invitations.filter(accepted_at=None, revoked_at=None, expires_at__gt=now)


def _check_usable(invitation: Invitation | None, now) -> None:
    if invitation is None:
        raise InvitationUnusable("This invitation link is not valid. Ask your project lead for a new one.", known=False)
    status = invitation.status_at(now)
    if status == Invitation.Status.ACCEPTED:
        raise InvitationUnusable("This invitation has been used already: log in instead.", known=True)
    if status == Invitation.Status.REVOKED:
        raise InvitationUnusable(
            "This invitation was withdrawn. Ask your project lead if you need a new one.", known=True
        )
    if status == Invitation.Status.EXPIRED:
        raise InvitationUnusable(
            f"This invitation expired on {timezone.localtime(invitation.expires_at):%Y-%m-%d %H:%M %Z}. "
            "Ask your project lead to send it again.",
            known=True,
        )


def _invitation_mail(*, invitation: Invitation, token: str, site_url: str) -> EmailMessage:
    context = {
        "project": invitation.project,
        "role": Membership.Role(invitation.role).label.lower(),
        "link": site_url + reverse("invitation_accept", args=[token]),
        "expires_at": invitation.expires_at,
    }
    return EmailMessage(
        subject=f"You are invited to {invitation.project.name} on RankLab",
        body=render_to_string("labeler/mail/invitation.txt", context),
        to=[invitation.email],
    )


def _added_mail(*, project: Project, user, role: str, site_url: str) -> EmailMessage:
    context = {
        "project": project,
        "user": user,
        "role": Membership.Role(role).label.lower(),
        "link": site_url + project.get_absolute_url(),
    }
    return EmailMessage(
        subject=f"You have been added to {project.name} on RankLab",
        body=render_to_string("labeler/mail/added.txt", context),
        to=[user.email],
    )


def _send(mails: list[EmailMessage]) -> list[str]:
    """Send over one connection; the addresses whose mail did not leave (the rows stay, a lead can resend)."""
    if not mails:
        return []
    unsent: list[str] = []
    try:
        with get_connection() as connection:
            for mail in mails:
                mail.connection = connection
                try:
                    mail.send()
                except OSError:
                    logger.exception("The mail to %s was not sent", mail.to[0])
                    unsent.append(mail.to[0])
    except OSError:
        logger.exception("The mail server could not be reached")
        return [mail.to[0] for mail in mails]
    return unsent
