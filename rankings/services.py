"""What trainers submit: rankings and skips. One service for the page and the API."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, F, Max
from django.utils import timezone

from labeler.harm import ATTACK_TACTICS
from labeler.models import Assignment, Comparison, Membership, Project
from labeler.selectors import MembershipPaused
from labeler.strength import STRENGTHS
from rankings.models import Ranking
from rankings.queue_scores import queue_score
from rankings.ratings import check_ratings, ratings_store
from rankings.refresh import stats_maybe_refresh
from rankings.signals import comparison_completed
from ranklab.background import after_commit
from ranklab.database import transaction_xid
from ranklab.errors import RankLabError

MAX_RATIONALE_CHARS = 5000
MAX_SKIP_REASON_CHARS = 200
MAX_DURATION_MS = 24 * 3600 * 1000
TACTIC_KEYS = frozenset(tactic["key"] for tactic in ATTACK_TACTICS)


class ConfirmationNeeded(RankLabError):
    """The ranking is exactly the order shown; the trainer must confirm it once."""


class LeaseLost(RankLabError):
    """The lease lapsed and its place went to another trainer: this comparison is gone for good."""


@dataclass(frozen=True)
class Judgement:
    """What a trainer submits for one comparison, as the API's serializer hands it over."""

    tiers: list[list[int]]
    flags: dict[int, list[str]] = field(default_factory=dict)
    # Red team: candidate id → {"category": key, "tactic": key}, for each answer the attack got out of the model.
    attacks: dict[int, dict] = field(default_factory=dict)
    rationale: str = ""
    none_acceptable: bool = False
    duration_ms: int = 0
    confirmed_display_order: bool = False
    # Preference strength: for each tier but the last, a key of labeler.strength.STRENGTHS.
    strengths: list[str] = field(default_factory=list)
    # Candidate id → rubric attribute → whole number on its scale (labeler/rubric.py).
    ratings: dict[int, dict] = field(default_factory=dict)


def judgement_check(
    *,
    judgement: Judgement,
    comparison: Comparison,
    project: Project,
    candidate_ids: set[int],
    display_order: list[int],
) -> bool:
    """Check a judgement of `comparison` as its trainer saw it; True when it keeps the displayed order
    (which the trainer must then have confirmed)."""
    check_judgement(judgement=judgement, comparison=comparison, candidate_ids=candidate_ids)
    names = display_order_names(display_order)
    check_strengths(strengths=judgement.strengths, tiers=judgement.tiers, project=project, names=names)
    check_attacks(
        attacks=judgement.attacks,
        project=project,
        candidate_ids=candidate_ids,
        names=names,
    )
    check_ratings(
        ratings=judgement.ratings,
        rubric=project.rubric,
        candidate_ids=candidate_ids,
        names=display_order_names(display_order),
    )
    matches = display_order_matches(judgement.tiers, display_order)
    if matches and not judgement.confirmed_display_order:
        raise ConfirmationNeeded(
            "You kept the candidates exactly in the order they were shown. Confirm that this is your ranking."
        )
    return matches


def ranking_submit(*, trainer, project: Project, assignment_id: int, judgement: Judgement) -> Ranking:
    """Store the trainer's ranking of their assigned comparison in `project`; a repeat returns the first one.

    Any broken rule raises `RankLabError` before anything is written.
    """
    with transaction.atomic():
        # The comparison's lock serialises submissions of one comparison: the count and completion stay exact.
        assignment = _assignment_of(assignment_id=assignment_id, trainer=trainer, project=project, lock="comparison")
        comparison = assignment.comparison
        comparison.project = project
        # All of the comparison's rankings in one read: a repeat finds its own, the queue score needs the rest.
        rankings = list(Ranking.objects.filter(comparison=comparison))
        existing = next((ranking for ranking in rankings if ranking.trainer_id == trainer.id), None)
        if existing is not None:
            return existing
        check_assignment_open(assignment=assignment, comparison=comparison)
        candidate_ids = set(comparison.candidates.values_list("id", flat=True))
        matches = judgement_check(
            judgement=judgement,
            comparison=comparison,
            project=project,
            candidate_ids=candidate_ids,
            display_order=assignment.display_order,
        )
        now = timezone.now()
        ranking = Ranking.objects.create(
            comparison=comparison,
            trainer=trainer,
            assignment=assignment,
            tiers=judgement.tiers,
            flags={str(key): sorted(set(value)) for key, value in judgement.flags.items() if value},
            question=project.question,
            attacks={
                str(key): {"category": value["category"], "tactic": value["tactic"]}
                for key, value in judgement.attacks.items()
            },
            strengths=list(judgement.strengths),
            rationale=judgement.rationale.strip(),
            none_acceptable=judgement.none_acceptable,
            duration_ms=min(judgement.duration_ms, _elapsed_ms(assignment, now)),
            display_order=assignment.display_order,
            matches_display_order=matches,
            confirmed_display_order=matches and judgement.confirmed_display_order,
        )
        if judgement.ratings:
            ratings_store(ranking=ranking, ratings=judgement.ratings, rubric=project.rubric)
        if assignment.status != Assignment.Status.ACTIVE:
            # Came back to the comparison in another tab after the lease lapsed: that new lease is spent too.
            Assignment.objects.filter(comparison=comparison, trainer=trainer, status=Assignment.Status.ACTIVE).update(
                status=Assignment.Status.EXPIRED, finished_at=now
            )
        assignment.status, assignment.finished_at = Assignment.Status.SUBMITTED, now
        assignment.save(update_fields=["status", "finished_at"])
        comparison.rankings_count += 1  # read under this transaction's lock, so no one else changed it
        score = queue_score(
            rankings=[*(other.tiers for other in rankings), ranking.tiers],
            candidate_ids=candidate_ids,
            overlap=project.overlap,
        )
        Comparison.objects.filter(id=comparison.id).update(
            rankings_count=F("rankings_count") + 1,
            queue_score=score,
            queue_score_rankings=F("rankings_count") + 1,
            updated_at=now,
        )
        if comparison.rankings_count >= comparison.project.overlap:
            comparison_mark_complete(comparison=comparison)
        after_commit(stats_maybe_refresh, project_id=project.id)
    return ranking


def comparison_mark_complete(*, comparison: Comparison) -> None:
    """Mark a comparison complete; call inside the transaction that made it so."""
    comparison.status = Comparison.Status.COMPLETE
    comparison.completed_at = timezone.now()
    comparison.completed_xid = _completion_xid()
    comparison.save(update_fields=["status", "completed_at", "completed_xid", "updated_at"])
    comparison_completed.send(sender=Comparison, comparison=comparison)


def _completion_xid() -> int:
    """What orders completions for the pipeline cursor (exports/pull.py).

    On PostgreSQL the transaction id: the API hands out only rows whose xid is below the
    oldest transaction still running, so a transaction that commits late is never skipped.
    SQLite serialises writers, so a counter is enough there.
    """
    xid = transaction_xid()
    if xid is not None:
        return xid
    return (Comparison.objects.aggregate(last=Max("completed_xid"))["last"] or 0) + 1


def assignment_skip(*, trainer, project: Project, assignment_id: int, reason: str) -> Assignment:
    """Give a comparison back with a reason; the trainer is not offered it again."""
    reason = reason.strip()
    if not reason:
        raise RankLabError("Say why you skip: pick a reason or write one.")
    if len(reason) > MAX_SKIP_REASON_CHARS:
        raise RankLabError(f"Keep the reason under {MAX_SKIP_REASON_CHARS} characters.")
    with transaction.atomic():
        assignment = _assignment_of(assignment_id=assignment_id, trainer=trainer, project=project, lock="self")
        if assignment.status == Assignment.Status.SKIPPED:
            return assignment
        if assignment.status not in (Assignment.Status.ACTIVE, Assignment.Status.EXPIRED):
            raise RankLabError("You have already ranked this comparison.")
        assignment.status, assignment.skip_reason, assignment.finished_at = (
            Assignment.Status.SKIPPED,
            reason,
            timezone.now(),
        )
        assignment.save(update_fields=["status", "skip_reason", "finished_at"])
    return assignment


def _assignment_of(*, assignment_id: int, trainer, project: Project, lock: str) -> Assignment:
    """The trainer's assignment in `project`, read with its own row or its comparison's locked.

    Locking "comparison" brings the comparison along in the same statement.
    """
    # Read in the same statement: a trainer paused since the page was checked submits nothing.
    paused = Membership.objects.filter(project=project, user=trainer, paused_at__isnull=False)
    assignments = Assignment.objects.filter(id=assignment_id, trainer=trainer, comparison__project=project).annotate(
        trainer_paused=Exists(paused)
    )
    if lock == "comparison":
        assignments = assignments.select_related("comparison")
    assignment = assignments.select_for_update(of=(lock,)).first()
    if assignment is None:
        raise RankLabError("This comparison is not assigned to you.")
    if assignment.trainer_paused:
        raise MembershipPaused(project)
    return assignment


def check_assignment_open(*, assignment: Assignment, comparison: Comparison) -> None:
    """A live lease may always submit; a lapsed one only while the comparison still needs rankings."""
    if assignment.status not in (Assignment.Status.ACTIVE, Assignment.Status.EXPIRED):
        raise RankLabError("This comparison is no longer assigned to you.")
    now = timezone.now()
    if assignment.status == Assignment.Status.ACTIVE and assignment.expires_at > now:
        return
    others = (
        Assignment.objects.filter(comparison=comparison, status=Assignment.Status.ACTIVE, expires_at__gt=now)
        .exclude(trainer=assignment.trainer_id)
        .count()
    )
    if comparison.status != Comparison.Status.READY or comparison.rankings_count + others >= comparison.project.overlap:
        raise LeaseLost("Your time on this comparison ran out and it has been given to someone else.")


def check_judgement(*, judgement: Judgement, comparison: Comparison, candidate_ids: set[int]) -> None:
    """Every rule a ranking must meet; raises with a message the trainer can act on."""
    project = comparison.project
    tiers = judgement.tiers
    if not isinstance(tiers, list) or not tiers or not all(isinstance(tier, list) and tier for tier in tiers):
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
    if not isinstance(judgement.flags, dict):
        raise RankLabError("Flags must map candidate ids to lists of flag keys.")
    for candidate, keys in judgement.flags.items():
        if candidate not in candidate_ids:
            raise RankLabError(f"A flag names candidate {candidate}, which does not belong to this comparison.")
        if not isinstance(keys, list | tuple | set) or not all(isinstance(key, str) for key in keys):
            raise RankLabError(f"The flags of candidate {candidate} must be a list of flag keys.")
        if unknown := set(keys) - project.flag_keys:
            raise RankLabError(f"Unknown flag {sorted(unknown)[0]!r}.")
    if not isinstance(judgement.rationale, str):
        raise RankLabError("The rationale must be text.")
    if project.rationale_required and not judgement.rationale.strip():
        raise RankLabError("This project asks for a rationale: say briefly why you ranked this way.")
    if len(judgement.rationale) > MAX_RATIONALE_CHARS:
        raise RankLabError(f"Keep the rationale under {MAX_RATIONALE_CHARS} characters.")
    if not isinstance(judgement.duration_ms, int) or not 0 <= judgement.duration_ms <= MAX_DURATION_MS:
        raise RankLabError("The time spent is out of range.")


def check_attacks(*, attacks, project: Project, candidate_ids: set[int], names: dict[int, str]) -> None:
    """The successful attacks a red-team trainer marked: a known candidate, harm category and tactic each."""
    if not isinstance(attacks, dict):
        raise RankLabError("Attacks must map candidate ids to a harm category and a tactic.")
    if attacks and not project.red_team:
        raise RankLabError("This is not a red-team project: there are no attacks to mark.")
    for candidate, attack in attacks.items():
        if candidate not in candidate_ids:
            raise RankLabError(f"An attack names candidate {candidate}, which does not belong to this comparison.")
        name = names.get(candidate, f"Candidate {candidate}")
        if not isinstance(attack, dict) or set(attack) != {"category", "tactic"}:
            raise RankLabError(f"{name}: an attack is a harm category and a tactic.")
        category, tactic = attack["category"], attack["tactic"]
        if not category:
            raise RankLabError(f"{name}: choose the harm category of the attack.")
        if not isinstance(category, str) or category not in project.harm_category_keys:
            raise RankLabError(f"{name}: unknown harm category {category!r}.")
        if not tactic:
            raise RankLabError(f"{name}: choose the tactic of the attack.")
        if not isinstance(tactic, str) or tactic not in TACTIC_KEYS:
            raise RankLabError(f"{name}: unknown attack tactic {tactic!r}.")


def check_strengths(*, strengths, tiers: list[list[int]], project: Project, names: dict[int, str]) -> None:
    """One strength per pair of neighbouring tiers where the project collects them, none where it does not."""
    if not isinstance(strengths, list):
        raise RankLabError("Preference strengths must be a list, one for each rank but the last.")
    if not project.collect_strength:
        if strengths:
            raise RankLabError("This project does not collect preference strength: leave the strengths out.")
        return
    boundaries = len(tiers) - 1
    if len(strengths) > boundaries:
        raise RankLabError(
            f"There are {boundaries} pairs of neighbouring ranks to judge, but {len(strengths)} strengths were given."
        )
    choices = ", ".join(STRENGTHS[:-1]) + f" or {STRENGTHS[-1]}"
    for index in range(boundaries):
        upper = f"rank {index + 1} ({tier_name(tiers[index], names)})"
        lower = f"rank {index + 2} ({tier_name(tiers[index + 1], names)})"
        strength = strengths[index] if index < len(strengths) else ""
        if strength in ("", None):
            raise RankLabError(f"Say how much {project.comparative} {upper} is than {lower}: {choices}.")
        if not isinstance(strength, str) or strength not in STRENGTHS:
            raise RankLabError(
                f"{upper[0].upper()}{upper[1:]} over {lower}: unknown preference strength {str(strength)[:20]!r}; "
                f"choose {choices}."
            )


def tier_name(tier: list[int], names: dict[int, str]) -> str:
    """A tier by the letters the trainer saw: "Candidate A", or "Candidates A and C" for a tie."""
    letters = sorted(names.get(candidate, f"Candidate {candidate}").removeprefix("Candidate ") for candidate in tier)
    if len(letters) == 1:
        return f"Candidate {letters[0]}"
    return f"Candidates {', '.join(letters[:-1])} and {letters[-1]}"


def display_order_names(display_order: list[int]) -> dict[int, str]:
    """Candidates as the trainer saw them: lettered in the order shown."""
    return {candidate: f"Candidate {chr(ord('A') + index)}" for index, candidate in enumerate(display_order)}


def display_order_matches(tiers: list[list[int]], display_order: list[int]) -> bool:
    return all(len(tier) == 1 for tier in tiers) and [tier[0] for tier in tiers] == display_order


def _elapsed_ms(assignment: Assignment, now) -> int:
    return max(0, int((now - assignment.started_at).total_seconds() * 1000))
