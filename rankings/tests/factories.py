from datetime import timedelta

from django.utils import timezone

from labeler.models import Membership
from labeler.queue import assignment_lease_next
from labeler.tests.factories import ComparisonFactory, MembershipFactory


def ready_comparisons(project, n: int) -> list:
    return [ComparisonFactory(project=project, with_candidates=True) for _ in range(n)]


def trainers_of(project, n: int) -> list:
    return [MembershipFactory(project=project, role=Membership.Role.TRAINER).user for _ in range(n)]


def lease(project, trainer):
    return assignment_lease_next(project=project, trainer=trainer)


def expire(assignment) -> None:
    assignment.expires_at = timezone.now() - timedelta(seconds=1)
    assignment.save(update_fields=["expires_at"])
