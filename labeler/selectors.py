"""Reads that serve requests. Every one is scoped by the caller's membership."""

from django.db.models import F, QuerySet
from django.http import Http404

from labeler.models import Membership, Project


def project_get_for_member(*, user, slug: str, role: str | None = None) -> Project:
    """The project with this slug if `user` belongs to it (with `role`, if given); 404 otherwise.

    A project the user may not see is indistinguishable from one that does not exist.
    """
    memberships = Membership.objects.filter(user=user, project__slug=slug)
    if role is not None:
        memberships = memberships.filter(role=role)
    membership = memberships.select_related("project").first() if user.is_authenticated else None
    if membership is None:
        raise Http404("No such project")
    project = membership.project
    project.viewer_role = membership.role
    return project


def project_get_for_lead(*, user, slug: str) -> Project:
    return project_get_for_member(user=user, slug=slug, role=Membership.Role.LEAD)


def projects_for_user(*, user) -> QuerySet[Project]:
    """The user's projects, each annotated with the user's `role` in it."""
    return Project.objects.filter(memberships__user=user).annotate(role=F("memberships__role")).order_by("name")


def user_role_in(*, user, project: Project) -> str | None:
    return Membership.objects.filter(user=user, project=project).values_list("role", flat=True).first()
