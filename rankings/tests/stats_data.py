"""Small projects with known rankings, written straight to the database, for the statistics tests."""

import hashlib
from datetime import timedelta

from django.utils import timezone

from labeler.models import Assignment, Candidate, Membership
from labeler.tests.factories import ComparisonFactory, MembershipFactory, ModelEndpointFactory
from rankings.models import Ranking


def comparison_with(project, texts: list[str], endpoints: list | None = None):
    """A ready comparison whose candidates have these texts (and come from these endpoints)."""
    comparison = ComparisonFactory(project=project)
    for index, text in enumerate(texts):
        Candidate.objects.create(
            comparison=comparison,
            sample_index=index,
            text=text,
            endpoint=endpoints[index] if endpoints else None,
            source=Candidate.Source.MODEL if endpoints else Candidate.Source.IMPORT,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
        )
    return comparison


def candidate_ids(comparison) -> list[int]:
    return list(comparison.candidates.order_by("sample_index").values_list("id", flat=True))


def rank(comparison, trainer, order: list[list[int]], *, shown: list[int] | None = None, **fields) -> Ranking:
    """`trainer` ranks `comparison`: `order` holds sample indexes in tiers; `shown` the display order (indexes)."""
    ids = candidate_ids(comparison)
    tiers = [[ids[index] for index in tier] for tier in order]
    display = [ids[index] for index in (shown if shown is not None else range(len(ids)))]
    now = timezone.now()
    assignment = Assignment.objects.create(
        comparison=comparison,
        trainer=trainer,
        status=Assignment.Status.SUBMITTED,
        display_order=display,
        expires_at=now + timedelta(minutes=30),
        finished_at=now,
    )
    matches = all(len(tier) == 1 for tier in tiers) and [tier[0] for tier in tiers] == display
    ranking = Ranking.objects.create(
        comparison=comparison,
        trainer=trainer,
        assignment=assignment,
        tiers=tiers,
        display_order=display,
        matches_display_order=matches,
        confirmed_display_order=matches,
        duration_ms=fields.pop("duration_ms", 30_000),
        **fields,
    )
    comparison.rankings_count += 1
    comparison.save(update_fields=["rankings_count"])
    return ranking


def skip(comparison, trainer, reason: str = "I cannot judge this") -> Assignment:
    now = timezone.now()
    return Assignment.objects.create(
        comparison=comparison,
        trainer=trainer,
        status=Assignment.Status.SKIPPED,
        skip_reason=reason,
        display_order=candidate_ids(comparison),
        expires_at=now + timedelta(minutes=30),
        finished_at=now,
    )


def trainers(project, n: int, prefix: str = "trainer") -> list:
    return [
        MembershipFactory(project=project, role=Membership.Role.TRAINER, user__username=f"{prefix}{i}").user
        for i in range(n)
    ]


def endpoints(project, names: list[str]) -> list:
    return [ModelEndpointFactory(project=project, name=name, model=f"model-{name}", share=1) for name in names]


def small_project(project) -> dict:
    """Two comparisons of three candidates from two endpoints, ranked by three trainers; one skip and one flag."""
    big, small = endpoints(project, ["big", "small"])
    t0, t1, t2 = trainers(project, 3)
    c1 = comparison_with(project, ["a" * 100, "b" * 5, "c" * 30], [big, small, big])
    c2 = comparison_with(project, ["d" * 80, "e" * 10, "f" * 40], [big, small, small])
    flag_target = str(candidate_ids(c1)[1])
    rank(c1, t0, [[0], [1], [2]], duration_ms=10_000)
    rank(c1, t1, [[0], [1], [2]], duration_ms=20_000, flags={flag_target: ["untruthful"]})
    rank(c1, t2, [[2], [1], [0]], duration_ms=30_000)
    rank(c2, t0, [[0], [1], [2]], duration_ms=12_000)
    rank(c2, t1, [[0], [1, 2]], duration_ms=22_000)
    skip(c2, t2)
    return {"project": project, "trainers": (t0, t1, t2), "comparisons": (c1, c2)}
