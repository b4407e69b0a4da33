"""The queue score of comparisons (rankings/informativeness.py) in the database: kept on submission, refreshed in bulk.

`labeler_comparison.queue_score` is what the "most informative first" queue reads through an
index; `queue_score_rankings` is the rankings count the score was computed at. A submission
writes both in its own transaction; `queue_scores_refresh_stale` recomputes those whose count
differs (rankings from before the score existed, a changed overlap, rankings written elsewhere).
"""

from collections.abc import Iterable

from django.conf import settings
from django.db.models import F

from labeler.models import Candidate, Comparison
from rankings.informativeness import Tiers, order_uncertainty
from rankings.models import Ranking


def queue_score(*, rankings: list[Tiers], candidate_ids: Iterable[int], overlap: int) -> float:
    """The score of a comparison with these rankings, in a project asking for `overlap` of them."""
    return order_uncertainty(rankings, candidates=candidate_ids, remaining=max(overlap - len(rankings), 0))


def queue_scores_refresh_stale(*, batch: int | None = None) -> int:
    """Recompute up to `batch` stale scores of open comparisons; how many were written.

    Each write is conditional on the count it was computed at: a submission that landed in
    between wrote a newer score, which stays.
    """
    stale = (
        Comparison.objects.filter(status=Comparison.Status.READY)
        .exclude(queue_score_rankings=F("rankings_count"))
        .select_related("project")
        .only("id", "rankings_count", "project__overlap")[: batch or settings.RANKLAB_QUEUE_SCORES_REFRESH_BATCH]
    )
    written = 0
    for comparison in stale:
        score = queue_score(
            rankings=list(Ranking.objects.filter(comparison=comparison).values_list("tiers", flat=True)),
            candidate_ids=Candidate.objects.filter(comparison=comparison).values_list("id", flat=True),
            overlap=comparison.project.overlap,
        )
        written += Comparison.objects.filter(id=comparison.id, rankings_count=comparison.rankings_count).update(
            queue_score=score, queue_score_rankings=comparison.rankings_count
        )
    return written
