"""A project's statistics, computed from the database in one pass and cached in ProjectStats.

The dashboard reads only the cached result, so it answers at once whatever the number of
rankings. The computation runs in the background (rankings/refresh.py, rankings/tasks.py): by beat for projects
with rankings newer than their stats, and after every N submissions.
"""

import gc
from collections import defaultdict
from dataclasses import asdict
from datetime import timedelta
from itertools import combinations

import numpy as np
import orjson
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, TextField
from django.db.models.functions import Cast, Length
from django.utils import timezone

from labeler.models import Assignment, Candidate, Comparison, ModelEndpoint, Project
from rankings.agreement import (
    PairCounts,
    kendall_w,
    krippendorff_alpha,
    pair_value_rows,
    relations_compare,
)
from rankings.bias import Share, position_bias
from rankings.comparison_agreement import comparison_agreement_store
from rankings.consensus import bradley_terry
from rankings.models import Adjudication, ProjectStats, Ranking
from rankings.quality import RankingRecord, Thresholds, trainer_quality

DISAGREEMENT_QUEUE = 25
PROMPT_EXCERPT_CHARS = 240
CHUNK = 5000


def project_stats_refresh(*, project_id: int) -> ProjectStats:
    """Compute every figure of the project and store it in its ProjectStats."""
    project = Project.objects.get(id=project_id)
    data, per_comparison = _computed(project)
    with transaction.atomic():
        stats, _ = ProjectStats.objects.update_or_create(
            project=project,
            defaults={"data": data, "rankings_count": data["rankings"], "computed_at": timezone.now()},
        )
        comparison_agreement_store(project=project, figures=per_comparison)
    return stats


def project_stats_compute(*, project: Project) -> dict:
    """Every statistic of the project as plain JSON-ready data (see the dashboard for what each means)."""
    return _computed(project)[0]


def _computed(project: Project) -> tuple[dict, dict[int, float | None]]:
    """The project's statistics, and the agreement of each comparison ranked at least twice."""
    # Hundreds of thousands of small, acyclic objects: the cycle collector would walk them over and
    # over while they are built (a fifth of the time at 100k rankings) and find nothing to free.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _compute(project)
    finally:
        if collecting:
            gc.enable()


def _compute(project: Project) -> tuple[dict, dict[int, float | None]]:
    lengths, endpoint_of = _candidates(project)
    adjudicated = {}
    gold = {}
    for comparison_id, tiers, is_gold in Adjudication.objects.filter(comparison__project=project).values_list(
        "comparison_id", "tiers", "comparison__is_gold"
    ):
        adjudicated[comparison_id] = tiers
        if is_gold:
            gold[comparison_id] = tiers

    records: list[RankingRecord] = []
    by_comparison: dict[int, list[RankingRecord]] = defaultdict(list)
    last_submitted: dict[int, object] = {}
    flag_counts: dict[str, int] = defaultdict(int)
    flagged_rankings = none_acceptable = 0
    # The JSON columns come as text and are decoded by orjson: Django's JSONField decoding was a
    # tenth of the whole computation.
    rankings = (
        Ranking.objects.filter(comparison__project=project)
        .order_by("id")
        .values_list(
            "comparison_id", "trainer_id", Cast("tiers", TextField()), Cast("display_order", TextField()),
            "duration_ms", Cast("flags", TextField()), "matches_display_order", "none_acceptable", "submitted_at",
        )
    )  # fmt: skip
    for (
        comparison_id,
        trainer_id,
        tiers,
        display_order,
        duration_ms,
        flags,
        matches,
        none,
        submitted,
    ) in rankings.iterator(chunk_size=CHUNK):
        flags = orjson.loads(flags) if flags != "{}" else {}
        record = RankingRecord(
            trainer=trainer_id,
            comparison=comparison_id,
            tiers=orjson.loads(tiers),
            display_order=orjson.loads(display_order),
            duration_ms=duration_ms,
            flagged=any(flags.values()),
            matches_display_order=matches,
            lengths=lengths.get(comparison_id, {}),
        )
        records.append(record)
        by_comparison[comparison_id].append(record)
        last_submitted[comparison_id] = max(submitted, last_submitted.get(comparison_id, submitted))
        flagged_rankings += record.flagged
        none_acceptable += none
        for keys in flags.values():
            for key in keys:
                flag_counts[key] += 1

    agreement, by_week, per_comparison = _agreement(by_comparison, last_submitted)
    skips = dict(
        Assignment.objects.filter(comparison__project=project, status=Assignment.Status.SKIPPED)
        .values_list("trainer_id")
        .annotate(n=Count("id"))
    )
    thresholds = Thresholds()
    qualities = trainer_quality(records, references=adjudicated, gold=gold, skips=skips, thresholds=thresholds)
    usernames = dict(get_user_model().objects.filter(id__in=qualities.keys()).values_list("id", "username"))
    trainer_length = _length_by_trainer(records)
    trainers = [
        {
            "username": usernames.get(trainer_id, f"#{trainer_id}"),
            **quality.as_dict(),
            "length": trainer_length.get(trainer_id),
        }
        for trainer_id, quality in qualities.items()
    ]
    trainers.sort(key=lambda row: (row["agreement"] is None, -(row["agreement"] or {}).get("mean", 0), row["username"]))

    position = position_bias((record.tiers, record.display_order) for record in records)
    taxonomy = {flag["key"]: flag["label"] for flag in project.flag_taxonomy}
    data = {
        "version": 1,
        "rankings": len(records),
        "comparisons_ranked": len(by_comparison),
        "trainers_count": len(qualities),
        "agreement": agreement,
        "agreement_by_week": by_week,
        "position_bias": {
            "first": position.first.as_dict(),
            "by_position": [share.as_dict() for share in position.by_position],
        },
        "length_bias": Share(
            sum(record.longer_wins[0] for record in records), sum(record.longer_wins[1] for record in records), 0.5
        ).as_dict(),
        "flag_counts": [
            {"key": key, "label": taxonomy.get(key, key), "count": count}
            for key, count in sorted(flag_counts.items(), key=lambda item: (-item[1], item[0]))
        ],
        "flagged_rankings": flagged_rankings,
        "none_acceptable": none_acceptable,
        "trainers": trainers,
        "flagged_trainers": [
            {"trainer": row["trainer"], "username": row["username"], "reasons": row["reasons"]}
            for row in trainers
            if row["reasons"]
        ],
        "thresholds": asdict(thresholds),
        "arena": _arena(records, endpoint_of),
        "disagreements": _disagreements(per_comparison, adjudicated, by_comparison),
        "adjudicated": len(adjudicated),
        "gold": {
            "comparisons": Comparison.objects.filter(project=project, is_gold=True).count(),
            "with_truth": len(gold),
            "rankings": sum(len(by_comparison.get(comparison_id, [])) for comparison_id in gold),
        },
    }
    return data, per_comparison


def _candidates(project: Project) -> tuple[dict[int, dict[int, int]], dict[int, str]]:
    """Length (characters) of every candidate by comparison, and the label of its source for the arena."""
    endpoints = dict(ModelEndpoint.objects.filter(project=project).values_list("id", "name"))
    lengths: dict[int, dict[int, int]] = defaultdict(dict)
    endpoint_of = {}
    for candidate_id, comparison_id, length, endpoint_id, model_name, source in (
        Candidate.objects.filter(comparison__project=project)
        .annotate(length=Length("text"))
        .values_list("id", "comparison_id", "length", "endpoint_id", "model_name", "source")
        .iterator(chunk_size=CHUNK)
    ):
        lengths[comparison_id][candidate_id] = length
        endpoint_of[candidate_id] = endpoints.get(endpoint_id) or model_name or source
    return lengths, endpoint_of


def _agreement(
    by_comparison: dict[int, list[RankingRecord]], last_submitted: dict
) -> tuple[dict, list[dict], dict[int, float | None]]:
    """Project-wide agreement, per week (of each comparison's last ranking), and per comparison."""
    pooled: list[PairCounts] = []
    weeks: dict[str, list[PairCounts]] = defaultdict(list)
    week_comparisons: dict[str, int] = defaultdict(int)
    per_comparison: dict[int, float | None] = {}
    taus, ws, value_counts = [], [], []
    for comparison_id, group in by_comparison.items():
        if len(group) < 2:
            continue
        tiers = [record.tiers for record in group]
        relations = [record.relations for record in group]
        # comparison_figures' pairs and τ-b, without the per-comparison means the dashboard does not show.
        pairs = [relations_compare(left, right) for left, right in combinations(relations, 2)]
        taus.extend(tau for counts in pairs if (tau := counts.tau_b) is not None)
        counts = PairCounts.total(pairs)
        # Pooled over the comparison's annotator pairs, where the review page and the exports show
        # the mean of the pairs' figures: the two differ when annotators saw different candidates.
        per_comparison[comparison_id] = counts.rates()["exact"]
        pooled.append(counts)
        submitted = last_submitted[comparison_id]
        week = (submitted - timedelta(days=submitted.weekday())).date().isoformat()
        weeks[week].append(counts)
        week_comparisons[week] += 1
        if (w := kendall_w(tiers)) is not None:
            ws.append(w.w)
        value_counts.extend(pair_value_rows(relations))
    stacked = np.array(value_counts, dtype=np.float64).reshape(-1, 3)
    total = PairCounts.total(pooled)
    agreement = {
        **total.rates(),
        "comparisons": len(per_comparison),
        "pairs": total.judged,
        # τ-b over every pair of annotators of every comparison; W over the comparisons.
        "tau_b": sum(taus) / len(taus) if taus else None,
        "kendall_w": sum(ws) / len(ws) if ws else None,
        "krippendorff_alpha": krippendorff_alpha(value_counts=stacked),
    }
    by_week = [
        {"week": week, **PairCounts.total(weeks[week]).rates(), "comparisons": week_comparisons[week]}
        for week in sorted(weeks)
    ]
    return agreement, by_week, per_comparison


def _length_by_trainer(records: list[RankingRecord]) -> dict[int, dict]:
    """Each trainer's pooled longer-wins share with its Wilson interval, against 1/2."""
    won: dict[int, int] = defaultdict(int)
    pairs: dict[int, int] = defaultdict(int)
    for record in records:
        if record.lengths:
            w, p = record.longer_wins
            won[record.trainer] += w
            pairs[record.trainer] += p
    return {trainer: Share(won[trainer], pairs[trainer], 0.5).as_dict() for trainer in pairs}


def _arena(records: list[RankingRecord], endpoint_of: dict[int, str]) -> list[dict]:
    """Win rates and Bradley-Terry strengths of the candidates' sources, from pairs across sources."""
    wins: dict[tuple[str, str], int] = defaultdict(int)
    ties: dict[str, int] = defaultdict(int)
    candidates: dict[str, int] = defaultdict(int)
    for record in records:
        for tier in record.tiers:
            for candidate in tier:
                candidates[endpoint_of.get(candidate)] += 1
        for (a, b), relation in record.relations.items():
            if (source_a := endpoint_of.get(a)) == (source_b := endpoint_of.get(b)):
                continue
            if relation > 0:
                wins[(source_a, source_b)] += 1
            elif relation < 0:
                wins[(source_b, source_a)] += 1
            else:
                ties[source_a] += 1
                ties[source_b] += 1
    sources = sorted(name for name in candidates if name is not None)
    if len(sources) < 2:
        return []
    strengths = bradley_terry({pair: count for pair, count in wins.items() if None not in pair}, items=sources)
    rows = []
    for name in sources:
        won = sum(count for (winner, _), count in wins.items() if winner == name)
        lost = sum(count for (_, loser), count in wins.items() if loser == name)
        battles = won + lost + ties[name]
        rows.append(
            {
                "source": name,
                "candidates_ranked": candidates[name],
                "battles": battles,
                "wins": won,
                "losses": lost,
                "ties": ties[name],
                "win_rate": (won + ties[name] / 2) / battles if battles else None,
                "bt": strengths.get(name, 0.0),
            }
        )
    return sorted(rows, key=lambda row: -row["bt"])


def _disagreements(
    per_comparison: dict[int, float | None],
    adjudicated: dict[int, list],
    by_comparison: dict[int, list[RankingRecord]],
) -> list[dict]:
    """The comparisons with the lowest agreement that no lead has ruled on yet, with a prompt excerpt."""
    open_ = sorted(
        (value, comparison_id)
        for comparison_id, value in per_comparison.items()
        if value is not None and comparison_id not in adjudicated
    )[:DISAGREEMENT_QUEUE]
    prompts = dict(
        Comparison.objects.filter(id__in=[comparison_id for _, comparison_id in open_]).values_list(
            "id", "prompt_message__content"
        )
    )
    return [
        {
            "comparison": comparison_id,
            "agreement": value,
            "rankings": len(by_comparison[comparison_id]),
            "prompt": (prompts.get(comparison_id) or "")[:PROMPT_EXCERPT_CHARS],
        }
        for value, comparison_id in open_
    ]
