"""A trainer revises their own ranking: while its comparison still waits for other trainers'
rankings, and within the project's window after submitting (`Project.revise_minutes`).

Revising replaces the ranking in place: one ranking per trainer and comparison stays one, so
the comparison's count and completion are untouched, and a complete comparison (the one that
exports and the pipeline hand out) never changes under them.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Exists
from django.utils import timezone

from labeler.models import Comparison, Membership, Project
from labeler.selectors import MembershipPaused
from rankings.models import Ranking
from rankings.ratings import ratings_store
from rankings.refresh import enqueue_stats_refresh
from rankings.services import MAX_DURATION_MS, Judgement, judgement_check
from rankings.signals import ranking_revised
from ranklab.errors import RankLabError


def revise_deadline(*, ranking: Ranking, project: Project):
    return ranking.submitted_at + timedelta(minutes=project.revise_minutes)


def ranking_revisable(*, ranking: Ranking, project: Project, now=None) -> bool:
    """Whether the trainer may still revise `ranking` (its comparison loaded)."""
    try:
        check_revisable(ranking=ranking, project=project, now=now or timezone.now())
    except RankLabError:
        return False
    return True


def check_revisable(*, ranking: Ranking, project: Project, now) -> None:
    if project.kind == Project.Kind.CHAT:
        raise RankLabError("A chat turn's ranking is part of its conversation: it cannot be revised.")
    if ranking.comparison.status != Comparison.Status.READY:
        raise RankLabError("This comparison is complete: its rankings can no longer be revised.")
    if project.revise_minutes == 0:
        raise RankLabError("This project does not allow revising rankings.")
    if now > revise_deadline(ranking=ranking, project=project):
        raise RankLabError(
            f"Rankings can be revised for {project.revise_minutes} minutes after submitting: this one's time is up."
        )


def ranking_revise(*, trainer, project: Project, ranking_id: int, judgement: Judgement) -> Ranking:
    """Replace the trainer's own ranking with `judgement`; raises RankLabError before writing anything."""
    with transaction.atomic():
        # The comparison's lock, as a submission takes it: a revision and the submission that
        # completes the comparison never overlap, so nothing is revised once it is complete.
        # Paused is read in the same statement, as a submission reads it.
        paused = Membership.objects.filter(project=project, user=trainer, paused_at__isnull=False)
        ranking = (
            Ranking.objects.filter(id=ranking_id, trainer=trainer, comparison__project=project)
            .annotate(trainer_paused=Exists(paused))
            .select_related("comparison")
            .select_for_update(of=("self", "comparison"))
            .first()
        )
        if ranking is None:
            raise RankLabError("This ranking is not yours to revise.")
        if ranking.trainer_paused:
            raise MembershipPaused(project)
        comparison = ranking.comparison
        comparison.project = project
        now = timezone.now()
        check_revisable(ranking=ranking, project=project, now=now)
        matches = judgement_check(
            judgement=judgement,
            comparison=comparison,
            project=project,
            candidate_ids=set(comparison.candidates.values_list("id", flat=True)),
            display_order=ranking.display_order,
        )
        previous = ranking.tiers
        ranking.tiers = judgement.tiers
        ranking.flags = {str(key): sorted(set(value)) for key, value in judgement.flags.items() if value}
        ranking.attacks = {
            str(key): {"category": value["category"], "tactic": value["tactic"]}
            for key, value in judgement.attacks.items()
        }
        ranking.strengths = list(judgement.strengths)
        ranking.rationale = judgement.rationale.strip()
        ranking.none_acceptable = judgement.none_acceptable
        ranking.duration_ms = min(ranking.duration_ms + judgement.duration_ms, MAX_DURATION_MS)
        ranking.matches_display_order = matches
        ranking.confirmed_display_order = matches and judgement.confirmed_display_order
        ranking.revised_at = now
        ranking.save(
            update_fields=[
                "tiers", "flags", "attacks", "strengths", "rationale", "none_acceptable", "duration_ms",
                "matches_display_order", "confirmed_display_order", "revised_at",
            ]
        )  # fmt: skip
        # A revision replaces the ratings as it replaces the tiers: what the trainer left on the screen.
        if project.rubric or judgement.ratings:
            ratings_store(ranking=ranking, ratings=judgement.ratings, rubric=project.rubric, replace=True)
        # The count a queue score was computed at does not change with a revision: mark the score
        # stale so the beat refresh computes it again from the revised tiers.
        Comparison.objects.filter(id=ranking.comparison_id).update(queue_score_rankings=-1)
        ranking_revised.send(sender=Ranking, ranking=ranking, previous_tiers=previous)
        # Agreement and consensus read every ranking of the comparison: recompute once this commits.
        enqueue_stats_refresh(project_id=project.id)
    return ranking
