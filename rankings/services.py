"""What trainers submit: rankings and skips. One service for the page and the API."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from labeler.errors import RankLabError
from labeler.models import Assignment, Comparison
from labeler.services import comparison_mark_complete
from rankings.models import Ranking

MAX_RATIONALE_CHARS = 5000
MAX_SKIP_REASON_CHARS = 200
MAX_DURATION_MS = 24 * 3600 * 1000


class ConfirmationNeeded(RankLabError):
    """The ranking is exactly the order shown; the trainer must confirm it once."""


@dataclass(frozen=True)
class Judgement:
    """What a trainer submits for one comparison."""

    tiers: list[list[int]]
    flags: dict[int, list[str]]
    rationale: str = ""
    none_acceptable: bool = False
    duration_ms: int = 0
    confirmed_display_order: bool = False


def ranking_submit(*, assignment_id: int, trainer, judgement: Judgement) -> Ranking:
    """Store the trainer's ranking of their assigned comparison; a repeat returns the first one."""
    with transaction.atomic():
        assignment = _assignment_of(assignment_id=assignment_id, trainer=trainer)
        # The lock serialises submissions of one comparison: the count and completion stay exact.
        comparison = Comparison.objects.select_for_update().select_related("project").get(id=assignment.comparison_id)
        existing = Ranking.objects.filter(comparison=comparison, trainer=trainer).first()
        if existing is not None:
            return existing
        check_assignment_open(assignment=assignment, comparison=comparison)
        candidate_ids = set(comparison.candidates.values_list("id", flat=True))
        check_judgement(judgement=judgement, comparison=comparison, candidate_ids=candidate_ids)
        matches = _matches_display_order(judgement.tiers, assignment.display_order)
        if matches and not judgement.confirmed_display_order:
            raise ConfirmationNeeded(
                "You kept the candidates exactly in the order they were shown. Confirm that this is your ranking."
            )
        now = timezone.now()
        ranking = Ranking.objects.create(
            comparison=comparison,
            trainer=trainer,
            assignment=assignment,
            tiers=judgement.tiers,
            flags={str(key): sorted(set(value)) for key, value in judgement.flags.items() if value},
            rationale=judgement.rationale.strip(),
            none_acceptable=judgement.none_acceptable,
            duration_ms=min(judgement.duration_ms, _elapsed_ms(assignment, now)),
            display_order=assignment.display_order,
            matches_display_order=matches,
            confirmed_display_order=matches and judgement.confirmed_display_order,
        )
        assignment.status, assignment.finished_at = Assignment.Status.SUBMITTED, now
        assignment.save(update_fields=["status", "finished_at"])
        Comparison.objects.filter(id=comparison.id).update(rankings_count=F("rankings_count") + 1, updated_at=now)
        comparison.refresh_from_db(fields=["rankings_count"])
        if comparison.rankings_count >= comparison.project.overlap:
            comparison_mark_complete(comparison=comparison)
    return ranking


def assignment_skip(*, assignment_id: int, trainer, reason: str) -> Assignment:
    """Give a comparison back with a reason; the trainer is not offered it again."""
    reason = reason.strip()
    if not reason:
        raise RankLabError("Say why you skip: pick a reason or write one.")
    if len(reason) > MAX_SKIP_REASON_CHARS:
        raise RankLabError(f"Keep the reason under {MAX_SKIP_REASON_CHARS} characters.")
    with transaction.atomic():
        assignment = _assignment_of(assignment_id=assignment_id, trainer=trainer, lock=True)
        if assignment.status == Assignment.Status.SKIPPED:
            return assignment
        if assignment.status != Assignment.Status.ACTIVE:
            raise RankLabError("This comparison is no longer assigned to you.")
        assignment.status, assignment.skip_reason, assignment.finished_at = (
            Assignment.Status.SKIPPED,
            reason,
            timezone.now(),
        )
        assignment.save(update_fields=["status", "skip_reason", "finished_at"])
    return assignment


def _assignment_of(*, assignment_id: int, trainer, lock: bool = False) -> Assignment:
    assignments = Assignment.objects.filter(id=assignment_id, trainer=trainer)
    assignment = (assignments.select_for_update() if lock else assignments).first()
    if assignment is None:
        raise RankLabError("This comparison is not assigned to you.")
    return assignment


def check_assignment_open(*, assignment: Assignment, comparison: Comparison) -> None:
    """A live lease may always submit; a lapsed one only while the comparison still needs rankings."""
    if assignment.status != Assignment.Status.ACTIVE:
        raise RankLabError("This comparison is no longer assigned to you.")
    if assignment.expires_at > timezone.now():
        return
    others = (
        Assignment.objects.filter(comparison=comparison, status=Assignment.Status.ACTIVE, expires_at__gt=timezone.now())
        .exclude(id=assignment.id)
        .count()
    )
    if comparison.status != Comparison.Status.READY or comparison.rankings_count + others >= comparison.project.overlap:
        raise RankLabError("Your time on this comparison ran out and it has been given to someone else.")


def check_judgement(*, judgement: Judgement, comparison: Comparison, candidate_ids: set[int]) -> None:
    """Every rule a ranking must meet; raises with a message the trainer can act on."""
    project = comparison.project
    tiers = judgement.tiers
    if not isinstance(tiers, list) or not all(isinstance(tier, list) and tier for tier in tiers):
        raise RankLabError("The ranking must be a list of non-empty tiers.")
    ranked = [candidate for tier in tiers for candidate in tier]
    if not all(isinstance(candidate, int) and not isinstance(candidate, bool) for candidate in ranked):
        raise RankLabError("The ranking holds something that is not a candidate id.")
    if len(ranked) != len(set(ranked)):
        raise RankLabError("A candidate appears twice in the ranking.")
    if stray := set(ranked) - candidate_ids:
        raise RankLabError(f"Candidate {min(stray)} does not belong to this comparison.")
    if missing := candidate_ids - set(ranked):
        raise RankLabError(f"Rank every candidate: {len(missing)} missing.")
    if not project.ties_allowed and any(len(tier) > 1 for tier in tiers):
        raise RankLabError("This project does not allow ties: put every candidate on its own rank.")
    for candidate, keys in judgement.flags.items():
        if candidate not in candidate_ids:
            raise RankLabError(f"A flag names candidate {candidate}, which does not belong to this comparison.")
        if unknown := set(keys) - project.flag_keys:
            raise RankLabError(f"Unknown flag {sorted(unknown)[0]!r}.")
    if project.rationale_required and not judgement.rationale.strip():
        raise RankLabError("This project asks for a rationale: say briefly why you ranked this way.")
    if len(judgement.rationale) > MAX_RATIONALE_CHARS:
        raise RankLabError(f"Keep the rationale under {MAX_RATIONALE_CHARS} characters.")
    if not 0 <= judgement.duration_ms <= MAX_DURATION_MS:
        raise RankLabError("The time spent is out of range.")


def _matches_display_order(tiers: list[list[int]], display_order: list[int]) -> bool:
    return all(len(tier) == 1 for tier in tiers) and [tier[0] for tier in tiers] == display_order


def _elapsed_ms(assignment: Assignment, now) -> int:
    return max(0, int((now - assignment.started_at).total_seconds() * 1000))
