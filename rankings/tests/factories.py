from datetime import timedelta

from django.utils import timezone

from labeler.models import Membership
from labeler.queue import assignment_lease_next
from labeler.tests.factories import ComparisonFactory, MembershipFactory
from rankings.services import Judgement, assignment_skip, ranking_submit


def ready_comparisons(project, n: int) -> list:
    return [ComparisonFactory(project=project, with_candidates=True) for _ in range(n)]


def trainers_of(project, n: int) -> list:
    return [MembershipFactory(project=project, role=Membership.Role.TRAINER).user for _ in range(n)]


def lease(project, trainer):
    return assignment_lease_next(project=project, trainer=trainer)


def expire(assignment) -> None:
    assignment.expires_at = timezone.now() - timedelta(seconds=1)
    assignment.save(update_fields=["expires_at"])


def submit(assignment, *, tiers, trainer=None, project=None, **fields):
    """Rank as the page does: the trainer and project (the assignment's by default), one judgement."""
    return ranking_submit(
        trainer=trainer or assignment.trainer,
        project=project or assignment.comparison.project,
        assignment_id=assignment.id,
        judgement=Judgement(tiers=tiers, **fields),
    )


def skip(assignment, *, reason, trainer=None):
    return assignment_skip(
        trainer=trainer or assignment.trainer,
        project=assignment.comparison.project,
        assignment_id=assignment.id,
        reason=reason,
    )
