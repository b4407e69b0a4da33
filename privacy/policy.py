"""Choosing a project's PII policy: `keep` lets personal data out, so only a lead may choose it."""

from django.db import transaction
from django.utils import timezone

from labeler.models import Membership, Project
from privacy.models import PiiPolicy
from ranklab.errors import RankLabError


def pii_policy_set(*, project: Project, user, policy: str) -> PiiPolicy:
    """Record the project's policy and who chose it, when."""
    if policy not in PiiPolicy.Policy.values:
        raise RankLabError(f"policy: choose one of {', '.join(PiiPolicy.Policy.values)}, not {policy!r}.")
    if not Membership.objects.filter(project=project, user=user, role=Membership.Role.LEAD).exists():
        raise RankLabError("policy: only a lead of the project can choose what exports do with personal data.")
    with transaction.atomic():
        chosen, _ = PiiPolicy.objects.update_or_create(
            project=project, defaults={"policy": policy, "chosen_by": user, "chosen_at": timezone.now()}
        )
    return chosen
