"""A project's statistics, computed from the database in one pass and cached in ProjectStats.

The dashboard reads only the cached result, so it answers at once whatever the number of
rankings; the computation runs in the background (beat, and after submissions).
"""

from collections import defaultdict
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from labeler.models import Assignment, Candidate, Project
from rankings.agreement import comparison_agreement, krippendorff_alpha_of_comparisons
from rankings.bias import length_bias, longer_won, position_bias, wilson_interval
from rankings.consensus import bradley_terry
from rankings.models import Adjudication, ProjectStats, Ranking
from rankings.quality import Judged, flag_trainers, trainer_scores

DISAGREEMENT_QUEUE = 25
ALPHA_SAMPLE = 2000


def project_stats_compute(*, project: Project) -> ProjectStats:
    """Compute every figure of the project and store it; returns the stored stats."""
    lengths: dict[int, dict[int, int]] = defaultdict(dict)
    endpoint_of: dict[int, str] = {}
    for candidate_id, comparison_id, text_length, endpoint in (
        Candidate.objects.filter(comparison__project=project)
        .values_list("id", "comparison_id", "text", "endpoint__name")
        .iterator(chunk_size=5000)
    ):
        lengths[comparison_id][candidate_id] = len(text_length)
        endpoint_of[candidate_id] = endpoint or "imported"
    gold = dict(
        Adjudication.objects.filter(comparison__project=project, comparison__is_gold=True).values_list(
            "comparison_id", "tiers"
        )
    )
    rankings = list(
        Ranking.objects.filter(comparison__project=project)
        .values_list(
            "comparison_id", "trainer__username", "tiers", "display_order", "duration_ms", "flags",
            "matches_display_order", "submitted_at",
        )
        .order_by("submitted_at")
        .iterator(chunk_size=5000)
    )  # fmt: skip
    records, by_comparison, flag_counts, weeks = [], defaultdict(list), defaultdict(int), defaultdict(list)
    for comparison_id, trainer, tiers, display_order, duration_ms, flags, matches, submitted_at in rankings:
        records.append(
            Judged(
                trainer=trainer,
                comparison_id=comparison_id,
                tiers=tiers,
                display_order=display_order,
                duration_ms=duration_ms,
                flagged=any(flags.values()),
                matches_display_order=matches,
                lengths=lengths[comparison_id],
                gold_tiers=gold.get(comparison_id),
            )
        )
        by_comparison[comparison_id].append(tiers)
        for keys in flags.values():
            for key in keys:
                flag_counts[key] += 1
        week = (submitted_at - timedelta(days=submitted_at.weekday())).date().isoformat()
        weeks[week].append(comparison_id)
    agreement_of = {
        comparison_id: value
        for comparison_id, tiers in by_comparison.items()
        if (value := comparison_agreement(tiers)) is not None
    }
    skips = dict(
        Assignment.objects.filter(comparison__project=project, status=Assignment.Status.SKIPPED)
        .values_list("trainer__username")
        .annotate(n=Count("id"))
    )
    scores = trainer_scores(records, skips)
    flagged = flag_trainers(scores)
    per_trainer_length = defaultdict(lambda: [0, 0])
    for record in records:
        won, total = longer_won(record.tiers, record.lengths)
        per_trainer_length[record.trainer][0] += won
        per_trainer_length[record.trainer][1] += total
    for trainer, score in scores.items():
        won, total = per_trainer_length[trainer]
        score["length_ci95"] = wilson_interval(won, total)
        score["flags"] = flagged.get(trainer, [])
    data = {
        "rankings": len(records),
        "comparisons_ranked": len(by_comparison),
        "agreement": _mean(agreement_of.values()),
        "agreement_comparisons": len(agreement_of),
        "krippendorff_alpha": _alpha_sample(by_comparison),
        "agreement_by_week": [
            {
                "week": week,
                "agreement": _mean(agreement_of[c] for c in set(ids) if c in agreement_of),
                "rankings": len(ids),
            }
            for week, ids in sorted(weeks.items())
        ],
        "position_bias": position_bias([(r.display_order, r.tiers) for r in records]),
        "length_bias": length_bias([(r.tiers, r.lengths) for r in records]),
        "flag_counts": dict(sorted(flag_counts.items(), key=lambda item: -item[1])),
        "trainers": scores,
        "flagged_trainers": flagged,
        "endpoints": _arena(records, endpoint_of),
        "disagreements": [
            {"comparison_id": comparison_id, "agreement": value}
            for comparison_id, value in sorted(agreement_of.items(), key=lambda item: (item[1], item[0]))[
                :DISAGREEMENT_QUEUE
            ]
        ],
    }
    stats, _ = ProjectStats.objects.update_or_create(
        project=project, defaults={"data": data, "rankings_count": len(records), "computed_at": timezone.now()}
    )
    return stats


def _mean(values) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def _alpha_sample(by_comparison: dict[int, list]) -> float | None:
    """Krippendorff's α over the candidate pairs of the latest comparisons with several rankings."""
    multi = [tiers for tiers in by_comparison.values() if len(tiers) > 1][-ALPHA_SAMPLE:]
    return krippendorff_alpha_of_comparisons(multi) if multi else None


def _arena(records: list[Judged], endpoint_of: dict[int, str]) -> list[dict]:
    """Win rates and Bradley–Terry strengths of the endpoints, from cross-endpoint pairs."""
    wins, games, duels = defaultdict(float), defaultdict(int), []
    for record in records:
        position = {candidate: index for index, tier in enumerate(record.tiers) for candidate in tier}
        items = sorted(position)
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                ea, eb = endpoint_of.get(a), endpoint_of.get(b)
                if ea is None or eb is None or ea == eb:
                    continue
                games[ea] += 1
                games[eb] += 1
                if position[a] == position[b]:
                    wins[ea] += 0.5
                    wins[eb] += 0.5
                    continue
                winner, loser = (ea, eb) if position[a] < position[b] else (eb, ea)
                wins[winner] += 1
                duels.append([[winner], [loser]])
    if not games:
        return []
    strengths = bradley_terry(duels) if duels else {}
    return sorted(
        (
            {
                "endpoint": name,
                "games": games[name],
                "win_rate": wins[name] / games[name],
                "bt": strengths.get(name, 0.0),
            }
            for name in games
        ),
        key=lambda row: -row["bt"],
    )


def stats_for_dashboard(*, project: Project) -> ProjectStats | None:
    return ProjectStats.objects.filter(project=project).first()
