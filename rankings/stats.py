"""A project's statistics, computed from the database in one pass and cached in ProjectStats.

The dashboard reads only the cached result, so it answers at once whatever the number of
rankings. The computation runs in the background (rankings/refresh.py, rankings/tasks.py): by beat for projects
with rankings newer than their stats, and after every N submissions.
"""

import gc
import math
from collections import defaultdict
from dataclasses import asdict, astuple, dataclass, fields
from datetime import UTC, date
from itertools import combinations

import numpy as np
import orjson
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, Count, Max, TextField, When
from django.db.models.functions import Cast, TruncDate, TruncWeek
from django.utils import timezone

from labeler.models import CANDIDATE_STYLE_FIELDS, Assignment, Candidate, Comparison, ModelEndpoint, Project
from rankings.agreement import (
    PairCounts,
    aligned_figures,
    kendall_w,
    krippendorff_alpha,
    pair_value_rows,
    relations_compare,
)
from rankings.bias import Share, position_bias
from rankings.comparison_agreement import comparison_agreement_store
from rankings.consensus import BradleyTerryFit, bradley_terry_fit, consensus
from rankings.judge_agreement import JudgedComparison, disagreements, judge_agreement
from rankings.models import Adjudication, Judge, JudgeRanking, ProjectStats, Ranking
from rankings.quality import RankingRecord, Thresholds, trainer_quality
from rankings.rating_stats import rating_stats
from rankings.style import COVARIATES, style_of

DISAGREEMENT_QUEUE = 25
PROMPT_EXCERPT_CHARS = 240
CHUNK = 5000


@dataclass(frozen=True)
class AlignedBlock:
    """Comparisons with the same number of rankings, all of which judged the comparison's same `n`
    candidates: `values[g, i]` is the `i`-th ranking's relation values of `comparisons[g]`, whose
    candidates, sorted, are `candidates[g]`. Nearly every comparison is in one; the figures take
    them as arrays, a few operations for thousands of comparisons."""

    comparisons: list[int]
    values: np.ndarray
    candidates: np.ndarray

    @property
    def rankings(self) -> int:
        return self.values.shape[1]


def _aligned_blocks(by_comparison: dict[int, list[RankingRecord]]) -> tuple[list[AlignedBlock], list[int]]:
    """The comparisons in aligned blocks, and those whose rankings judged different candidates."""
    grouped: dict[tuple[int, int], list[int]] = defaultdict(list)
    others = []
    for comparison_id, group in by_comparison.items():
        candidates = group[0].candidates
        if len(candidates) > 1 and all(record.candidates == candidates for record in group):
            grouped[(len(group), len(candidates))].append(comparison_id)
        else:
            others.append(comparison_id)
    blocks = []
    for comparison_ids in grouped.values():
        groups = [by_comparison[comparison_id] for comparison_id in comparison_ids]
        blocks.append(
            AlignedBlock(
                comparisons=comparison_ids,
                values=np.array([[record.relation_values for record in group] for group in groups], dtype=np.int8),
                candidates=np.array([group[0].candidates for group in groups], dtype=np.int64),
            )
        )
    return blocks, others


@dataclass(frozen=True)
class Styles:
    """The style covariates of a project's candidates: `covariates[i]` is candidate `ids[i]`'s (ids sorted)."""

    ids: np.ndarray
    covariates: np.ndarray


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
    lengths, endpoint_of, styles = _candidates(project)
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
    flag_counts: dict[str, int] = defaultdict(int)
    flagged_rankings = none_acceptable = 0
    # The JSON columns come as text and are decoded by orjson: Django's JSONField decoding was a
    # tenth of the whole computation.
    rankings = (
        Ranking.objects.filter(comparison__project=project)
        .order_by("id")
        .values_list(
            "comparison_id", "trainer_id", Cast("tiers", TextField()), Cast("display_order", TextField()),
            "duration_ms", Cast("flags", TextField()), "matches_display_order", "none_acceptable",
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
        flagged_rankings += record.flagged
        none_acceptable += none
        for keys in flags.values():
            for key in keys:
                flag_counts[key] += 1

    # One date per comparison, not per ranking, and the Monday of its week (UTC) found by the database:
    # decoding 33,334 timestamps took a tenth of a second, a date a fraction of that.
    last_week = dict(
        Ranking.objects.filter(comparison__project=project)
        .values("comparison_id")
        .annotate(week=TruncDate(TruncWeek(Max("submitted_at"), tzinfo=UTC), tzinfo=UTC))
        .values_list("comparison_id", "week")
    )
    blocks, unaligned = _aligned_blocks(by_comparison)
    agreement, by_week, per_comparison = _agreement(by_comparison, blocks, unaligned, last_week)
    skips = dict(
        Assignment.objects.filter(comparison__project=project, status=Assignment.Status.SKIPPED)
        .values_list("trainer_id")
        .annotate(n=Count("id"))
    )
    thresholds = Thresholds(length_preference_bar=project.length_preference_bar / 100)
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

    position = position_bias((record.display_order, record.tiers) for record in records)
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
        **_arena(by_comparison, blocks, unaligned, endpoint_of, styles),
        "disagreements": _disagreements(per_comparison, adjudicated, by_comparison),
        "adjudicated": len(adjudicated),
        "judge": _judge(project, by_comparison, adjudicated, lengths),
        "gold": {
            "comparisons": Comparison.objects.filter(project=project, is_gold=True).count(),
            "with_truth": len(gold),
            "rankings": sum(len(by_comparison.get(comparison_id, [])) for comparison_id in gold),
        },
        # Only a project with a rubric asks for ratings; without one, not a query more.
        "ratings": rating_stats(project=project) if project.rubric else None,
    }
    return data, per_comparison


def _candidates(project: Project) -> tuple[dict[int, dict[int, int]], dict[int, str], Styles]:
    """Length (characters) of every candidate by comparison, the label of its source for the arena,
    and the style covariates (rankings/style.py) of each."""
    endpoints = dict(ModelEndpoint.objects.filter(project=project).values_list("id", "name"))
    lengths: dict[int, dict[int, int]] = defaultdict(dict)
    endpoint_of = {}
    ids, counts = [], []
    # Each candidate's style is stored with it; the text comes over the wire only where it is not.
    for candidate_id, comparison_id, endpoint_id, model_name, source, text, *style in (
        Candidate.objects.filter(comparison__project=project)
        .annotate(unmeasured=Case(When(style_length__isnull=True, then="text"), default=None))
        .values_list(
            "id", "comparison_id", "endpoint_id", "model_name", "source", "unmeasured", *CANDIDATE_STYLE_FIELDS
        )
        .iterator(chunk_size=CHUNK)
    ):
        if text is not None:
            style = astuple(style_of(text))
        lengths[comparison_id][candidate_id] = style[0]
        endpoint_of[candidate_id] = endpoints.get(endpoint_id) or model_name or source
        ids.append(candidate_id)
        counts.append(style)
    order = np.argsort(np.array(ids, dtype=np.int64))
    return lengths, endpoint_of, Styles(ids=np.array(ids, dtype=np.int64)[order], covariates=_covariates(counts)[order])


def _covariates(counts: list) -> np.ndarray:
    """Style.covariates of many styles at once (their fields in rows), to the last bit."""
    length, lines, headers, items, bold = np.array(counts, dtype=np.int64).reshape(-1, 5).T
    lines = np.maximum(lines, 1).astype(np.float64)
    # math.log, not np.log, whose last bit may differ from the one Style.covariates gives.
    logs = np.array([math.log(value) for value in np.maximum(length, 1).tolist()], dtype=np.float64)
    return np.column_stack([logs, headers / lines, items / lines, bold / lines]).reshape(-1, len(COVARIATES))


def _agreement(
    by_comparison: dict[int, list[RankingRecord]],
    blocks: list[AlignedBlock],
    unaligned: list[int],
    last_week: dict[int, date],
) -> tuple[dict, list[dict], dict[int, float | None]]:
    """Project-wide agreement, per week (of each comparison's last ranking), and per comparison."""
    per_comparison: dict[int, float | None] = {}
    counts_rows, taus, ws, value_blocks = [], [], [], []
    # The comparisons outside the aligned blocks, one by one as comparison_figures does.
    for comparison_id in unaligned:
        group = by_comparison[comparison_id]
        if len(group) < 2:
            continue
        relations = [record.relations for record in group]
        # comparison_figures' pairs and τ-b, without the per-comparison means the dashboard does not show.
        pair_counts = [relations_compare(left, right) for left, right in combinations(relations, 2)]
        taus.extend(tau for counts in pair_counts if (tau := counts.tau_b) is not None)
        counts_rows.append((comparison_id, astuple(PairCounts.total(pair_counts))))
        if (w := kendall_w([record.tiers for record in group])) is not None:
            ws.append(w.w)
        value_blocks.append(np.array(pair_value_rows(relations), dtype=np.float64).reshape(-1, 3))
    counts_blocks = [np.array([row for _, row in counts_rows], dtype=np.float64).reshape(-1, len(fields(PairCounts)))]
    ordered = [comparison_id for comparison_id, _ in counts_rows]
    for block in blocks:
        if block.rankings < 2:
            continue
        figures = aligned_figures(block.values, block.candidates.shape[1])
        counts_blocks.append(figures.counts.astype(np.float64))
        ordered.extend(block.comparisons)
        taus.extend(figures.taus.tolist())
        ws.extend(figures.ws[~np.isnan(figures.ws)].tolist())
        value_blocks.append(figures.value_counts)
    counts = np.concatenate(counts_blocks)
    # Pooled over the comparison's annotator pairs, where the review page and the exports show
    # the mean of the pairs' figures: the two differ when annotators saw different candidates.
    judged, exact = counts[:, 0], counts[:, 1]
    for comparison_id, judged_pairs, exact_pairs in zip(ordered, judged.tolist(), exact.tolist(), strict=True):
        per_comparison[comparison_id] = exact_pairs / judged_pairs if judged_pairs else None
    weeks = [last_week[comparison_id].isoformat() for comparison_id in ordered]
    week_names, week_index = np.unique(np.array(weeks, dtype=str), return_inverse=True)
    by_week_counts = np.zeros((len(week_names), counts.shape[1]))
    np.add.at(by_week_counts, week_index, counts)
    week_comparisons = np.bincount(week_index, minlength=len(week_names))
    total = _pair_counts(counts.sum(axis=0))
    agreement = {
        **total.rates(),
        "comparisons": len(per_comparison),
        "pairs": total.judged,
        # τ-b over every pair of annotators of every comparison; W over the comparisons.
        "tau_b": sum(taus) / len(taus) if taus else None,
        "kendall_w": sum(ws) / len(ws) if ws else None,
        "krippendorff_alpha": krippendorff_alpha(value_counts=np.concatenate([np.zeros((0, 3)), *value_blocks])),
    }
    by_week = [
        {"week": str(week), **_pair_counts(row).rates(), "comparisons": int(comparisons)}
        for week, row, comparisons in zip(week_names, by_week_counts, week_comparisons, strict=True)
    ]
    return agreement, by_week, per_comparison


def _pair_counts(row: np.ndarray) -> PairCounts:
    """PairCounts from summed columns (half is the only one that is not a whole number)."""
    judged, exact, half, *rest = row.tolist()
    return PairCounts(round(judged), round(exact), half, *(round(value) for value in rest))


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


def _arena(
    by_comparison: dict[int, list[RankingRecord]],
    blocks: list[AlignedBlock],
    unaligned: list[int],
    endpoint_of: dict[int, str],
    styles: Styles,
) -> dict:
    """Win rates and Bradley–Terry strengths of the candidates' sources, from pairs across sources,
    raw and style-controlled (docs/statistics.md), and the style covariates' effects."""
    sources = sorted(set(endpoint_of.values()))
    if len(sources) < 2:
        return {"arena": [], "style_control": None}
    code = {name: i for i, name in enumerate(sources)}
    source_of = np.array([code[endpoint_of[candidate]] for candidate in styles.ids.tolist()], dtype=np.intp)
    count = len(sources)
    candidates_ranked = np.zeros(count, dtype=np.int64)
    ties = np.zeros(count, dtype=np.int64)
    winners, losers = [], []
    for block in blocks:
        source = source_of[np.searchsorted(styles.ids, block.candidates)]
        candidates_ranked += block.rankings * np.bincount(source.ravel(), minlength=count)
        first, second = np.array(list(combinations(range(block.candidates.shape[1]), 2)), dtype=np.intp).T
        across = (source[:, first] != source[:, second])[:, None, :]
        shape = block.values.shape
        a = np.broadcast_to(block.candidates[:, None, first], shape)
        b = np.broadcast_to(block.candidates[:, None, second], shape)
        won, lost, tied = across & (block.values > 0), across & (block.values < 0), across & (block.values == 0)
        winners += [a[won], b[lost]]
        losers += [b[won], a[lost]]
        for side in (a, b):
            ties += np.bincount(source_of[np.searchsorted(styles.ids, side[tied])], minlength=count)
    pairs_won, pairs_lost = [], []
    for comparison_id in unaligned:
        for record in by_comparison[comparison_id]:
            for tier in record.tiers:
                for candidate in tier:
                    candidates_ranked[code[endpoint_of[candidate]]] += 1
            for (a, b), relation in record.relations.items():
                if endpoint_of[a] == endpoint_of[b]:
                    continue
                if relation:
                    pairs_won.append(a if relation > 0 else b)
                    pairs_lost.append(b if relation > 0 else a)
                else:
                    ties[code[endpoint_of[a]]] += 1
                    ties[code[endpoint_of[b]]] += 1
    winners.append(np.array(pairs_won, dtype=np.int64))
    losers.append(np.array(pairs_lost, dtype=np.int64))
    winner_rows = np.searchsorted(styles.ids, np.concatenate(winners))
    loser_rows = np.searchsorted(styles.ids, np.concatenate(losers))
    winner_sources, loser_sources = source_of[winner_rows], source_of[loser_rows]
    wins = np.bincount(winner_sources * count + loser_sources, minlength=count * count).reshape(count, count)
    played = np.nonzero(wins)
    raw = bradley_terry_fit(sources, played[0], played[1], counts=wins[played].astype(np.float64))
    styled, effects = None, None
    if len(winner_rows):
        covariates = styles.covariates[winner_rows] - styles.covariates[loser_rows]
        styled = bradley_terry_fit(sources, winner_sources, loser_sources, covariates=covariates)
        effects = _style_effects(styled)
    rows = []
    for index, name in enumerate(sources):
        won, lost, tied = int(wins[index].sum()), int(wins[:, index].sum()), int(ties[index])
        battles = won + lost + tied
        rows.append(
            {
                "source": name,
                "candidates_ranked": int(candidates_ranked[index]),
                "battles": battles,
                "wins": won,
                "losses": lost,
                "ties": tied,
                "win_rate": (won + tied / 2) / battles if battles else None,
                "bt": raw.strengths[name],
                "bt_ci": list(raw.strength_intervals[name]),
                "bt_style": styled and styled.strengths[name],
                "bt_style_ci": styled and list(styled.strength_intervals[name]),
            }
        )
    return {"arena": sorted(rows, key=lambda row: -row["bt"]), "style_control": effects}


def _style_effects(fit: BradleyTerryFit) -> dict:
    """The style covariates' coefficients with their intervals, and the length effect read as odds."""
    length, length_ci = fit.coefficients[0], fit.coefficient_intervals[0]
    return {
        "battles": int(fit.battles),
        "effects": [
            {"covariate": name, "coefficient": coefficient, "ci": interval and list(interval)}
            for name, coefficient, interval in zip(COVARIATES, fit.coefficients, fit.coefficient_intervals, strict=True)
        ],
        # β is per unit of log length: an answer twice as long as the other has its odds of winning
        # multiplied by e^(β·ln 2) = 2^β.
        "doubling_odds": None if length is None else 2**length,
        "doubling_odds_ci": length_ci and [2**bound for bound in length_ci],
    }


def _judge(
    project: Project,
    by_comparison: dict[int, list[RankingRecord]],
    adjudicated: dict[int, list],
    lengths: dict[int, dict[int, int]],
) -> dict | None:
    """The AI judge against the people's consensus (a lead's ruling where there is one); None
    for a project that never had a judge. The judge's rankings count in nothing else here."""
    rows = JudgeRanking.objects.filter(project=project).values_list(
        "comparison_id", "status", "tiers", "pairs", "swap_consistent"
    )
    records, statuses = [], defaultdict(int)
    for comparison_id, status, tiers, pairs, swap_consistent in rows.iterator(chunk_size=CHUNK):
        statuses[status] += 1
        candidates = lengths.get(comparison_id, {})
        # A judgement of candidates since replaced waits to be made again: it is no figure.
        if status != JudgeRanking.Status.DONE or {c for tier in tiers for c in tier} != candidates.keys():
            continue
        human = adjudicated.get(comparison_id)
        if human is None and comparison_id in by_comparison:
            human = consensus([record.tiers for record in by_comparison[comparison_id]])
        records.append(
            JudgedComparison(
                comparison=comparison_id,
                judge=tiers,
                human=human,
                lengths=candidates,
                swap_consistent=bool(swap_consistent),
                pairs_consistent=sum(pair["first"] == pair["second"] for pair in pairs),
                pairs_swapped=len(pairs),
            )
        )
    if not statuses and not Judge.objects.filter(project=project).exists():
        return None
    figures = judge_agreement(records)
    figures["pending"] = statuses[JudgeRanking.Status.PENDING]
    figures["failed"] = statuses[JudgeRanking.Status.FAILED]
    worst = disagreements(records, limit=DISAGREEMENT_QUEUE)
    prompts = dict(
        Comparison.objects.filter(id__in=[row["comparison"] for row in worst]).values_list(
            "id", "prompt_message__content"
        )
    )
    for row in worst:
        row["rankings"] = len(by_comparison.get(row["comparison"], []))
        row["adjudicated"] = row["comparison"] in adjudicated
        row["prompt"] = (prompts.get(row["comparison"]) or "")[:PROMPT_EXCERPT_CHARS]
    figures["disagreements"] = worst
    return figures


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
