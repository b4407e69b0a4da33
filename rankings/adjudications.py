"""A lead's review of one comparison: every ranking side by side, and the lead's ruling.

The ruling (an Adjudication) becomes the comparison's consensus in exports and statistics.
On a gold comparison it is also the truth that trainers' gold accuracy is measured against;
trainers are never told which comparisons are gold (the queue serves them like any other).
"""

from dataclasses import dataclass

from django.db import transaction
from django.http import Http404

from labeler.conversations import comparison_messages
from labeler.models import Candidate, Comparison, Project
from rankings.agreement import average_ranks, comparison_figures
from rankings.consensus import ranked_pairs
from rankings.models import Adjudication, Ranking
from rankings.refresh import enqueue_stats_refresh
from ranklab.errors import RankLabError

Tiers = list[list[int]]


@dataclass
class Review:
    comparison: Comparison
    prompt: list[dict]
    candidates: list[Candidate]
    # One row per ranking: the ranking, and each candidate's rank and flags (in `candidates` order).
    rows: list[dict]
    consensus: Tiers
    consensus_ranks: list[float | None]
    agreement: float | None
    adjudication: Adjudication | None
    # The ruling form's starting point: the lead's ruling, else the consensus, as tier numbers (1 = best).
    ruling: list[int]

    @property
    def candidate_rulings(self) -> list[tuple[Candidate, int]]:
        return list(zip(self.candidates, self.ruling, strict=True))


def comparison_review(*, project: Project, comparison_id: int) -> Review:
    """Everything a lead needs to rule on one comparison of `project`; 404 for any other."""
    comparison = Comparison.objects.filter(project=project, id=comparison_id).select_related("prompt_message").first()
    if comparison is None:
        raise Http404("No such comparison")
    candidates = list(comparison.candidates.order_by("sample_index").select_related("endpoint"))
    rankings = list(
        Ranking.objects.filter(comparison=comparison).select_related("trainer").order_by("submitted_at", "id")
    )
    adjudication = Adjudication.objects.filter(comparison=comparison).first()
    tiers = [ranking.tiers for ranking in rankings]
    consensus = ranked_pairs(tiers) if tiers else []
    figures = comparison_figures(tiers)

    def ranks_of(tiers: Tiers) -> list[float | None]:
        ranks = average_ranks(tiers)
        return [ranks.get(candidate.id) for candidate in candidates]

    rows = [
        {
            "ranking": ranking,
            "cells": [
                {"rank": rank, "flags": ranking.flags.get(str(candidate.id), [])}
                for rank, candidate in zip(ranks_of(ranking.tiers), candidates, strict=True)
            ],
        }
        for ranking in rankings
    ]
    return Review(
        comparison=comparison,
        prompt=comparison_messages(comparison_id=comparison.id),
        candidates=candidates,
        rows=rows,
        consensus=consensus,
        consensus_ranks=ranks_of(consensus),
        agreement=figures.exact if figures is not None else None,
        adjudication=adjudication,
        ruling=_tier_numbers(adjudication.tiers if adjudication else consensus, candidates),
    )


def _tier_numbers(tiers: Tiers, candidates: list[Candidate]) -> list[int]:
    number = {candidate: index + 1 for index, tier in enumerate(tiers) for candidate in tier}
    return [number.get(candidate.id, position + 1) for position, candidate in enumerate(candidates)]


def tiers_from_ranks(ranks: dict[int, int]) -> Tiers:
    """Candidate → rank number (1 = best; equal numbers tie) into tiers, best first."""
    tiers: dict[int, list[int]] = {}
    for candidate, rank in sorted(ranks.items(), key=lambda item: (item[1], item[0])):
        tiers.setdefault(rank, []).append(candidate)
    return list(tiers.values())


def adjudication_save(
    *, comparison: Comparison, lead, tiers: Tiers, note: str = "", gold: bool = False
) -> Adjudication:
    """Record the lead's ruling on a comparison (it becomes the consensus), and whether the
    comparison is gold (the ruling is then the truth trainers are scored against)."""
    candidate_ids = set(comparison.candidates.values_list("id", flat=True))
    ranked = [candidate for tier in tiers for candidate in tier]
    if not tiers or not all(tier for tier in tiers) or len(ranked) != len(set(ranked)):
        raise RankLabError("Give every candidate exactly one rank.")
    if set(ranked) != candidate_ids:
        raise RankLabError("Rank every candidate of this comparison, and only those.")
    with transaction.atomic():
        adjudication, _ = Adjudication.objects.update_or_create(
            comparison=comparison, defaults={"lead": lead, "tiers": tiers, "note": note.strip()}
        )
        if comparison.is_gold != gold:
            comparison.is_gold = gold
            comparison.save(update_fields=["is_gold", "updated_at"])
        enqueue_stats_refresh(project_id=comparison.project_id)
    return adjudication


def adjudication_remove(*, comparison: Comparison) -> None:
    """Withdraw the lead's ruling: the trainers' consensus counts again, and the comparison is no longer gold."""
    with transaction.atomic():
        Adjudication.objects.filter(comparison=comparison).delete()
        if comparison.is_gold:
            comparison.is_gold = False
            comparison.save(update_fields=["is_gold", "updated_at"])
        enqueue_stats_refresh(project_id=comparison.project_id)
