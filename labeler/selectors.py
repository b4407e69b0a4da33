"""Reads that serve requests. Every one is scoped by the caller's membership."""

from django.db.models import F, QuerySet
from django.http import Http404

from labeler.models import Membership, Project
from ranklab.errors import RankLabError

_PROJECT_OF_MEMBER = """
SELECT p.*, m.role AS viewer_role, m.paused_at AS viewer_paused_at
FROM labeler_project p JOIN labeler_membership m ON m.project_id = p.id
WHERE p.slug = %s AND m.user_id = %s"""


def project_get_for_member(*, user, slug: str, role: str | None = None) -> Project:
    """The project with this slug if `user` belongs to it (with `role`, if given); 404 otherwise.

    A project the user may not see is indistinguishable from one that does not exist.
    """
    if not user.is_authenticated:
        raise Http404("No such project")
    # Every page of a project starts here: in SQL, since building the same join with the ORM
    # took three times the CPU of running it (1.5 ms against 0.5 ms per request).
    sql, params = _PROJECT_OF_MEMBER, [slug, user.pk]
    if role is not None:
        sql, params = sql + " AND m.role = %s", [*params, role]
    project = next(iter(Project.objects.raw(sql, params)), None)
    if project is None:
        raise Http404("No such project")
    return project


def project_get_for_lead(*, user, slug: str) -> Project:
    return project_get_for_member(user=user, slug=slug, role=Membership.Role.LEAD)


class MembershipPaused(RankLabError):
    """A lead paused this trainer in the project: no comparison may be taken or submitted."""

    def __init__(self, project: Project):
        super().__init__(f"Your lead has paused your work in {project.name}. Ask them to resume you.")
        self.project = project


def project_get_for_trainer(*, user, slug: str) -> Project:
    """Only trainers rank: a lead's ranking would count towards the overlap and the trainers' agreement.

    Every trainer's page starts here, so a paused trainer is stopped here, without another query.
    """
    project = project_get_for_member(user=user, slug=slug, role=Membership.Role.TRAINER)
    if project.viewer_paused_at is not None:
        raise MembershipPaused(project)
    return project


def projects_for_user(*, user) -> QuerySet[Project]:
    """The user's projects, each annotated with the user's `role` in it and when they were paused there."""
    return (
        Project.objects.filter(memberships__user=user)
        .annotate(role=F("memberships__role"), paused_at=F("memberships__paused_at"))
        .order_by("name")
    )
