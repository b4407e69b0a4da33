"""The AI judge's rankings as tests need them: stored directly, as a finished judgement would be."""

from django.utils import timezone

from rankings.judge_answers import consensus_tiers, swap_pairs
from rankings.models import Judge, JudgeRanking

MARKER = "JUDGE-REPLY-7f3a"


def judge_of(project, **values) -> Judge:
    return Judge.objects.create(project=project, base_url="http://127.0.0.1:9/v1", model="judge-model", **values)


def judged(comparison, first: list[list[int]], second: list[list[int]] | None = None) -> JudgeRanking:
    """A finished judgement: `first` from the order shown, `second` (default: the same) from the reversed order."""
    second = first if second is None else second
    pairs = swap_pairs(first, second)
    ids = sorted(candidate for tier in first for candidate in tier)
    runs = [
        {"order": ids, "reply": f"Ranking: {MARKER}", "tiers": first, "error": ""},
        {"order": ids[::-1], "reply": f"Ranking: {MARKER}", "tiers": second, "error": ""},
    ]
    return JudgeRanking.objects.create(
        comparison=comparison,
        project=comparison.project,
        status=JudgeRanking.Status.DONE,
        mode=Judge.Mode.LIST,
        model_name="judge-model",
        tiers=consensus_tiers(ids, pairs),
        pairs=pairs,
        runs=runs,
        swap_consistent=all(pair["first"] == pair["second"] for pair in pairs),
        attempts=1,
        judged_at=timezone.now(),
    )
