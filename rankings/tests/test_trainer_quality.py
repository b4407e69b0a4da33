"""Per-trainer quality flags, on plain records (rankings/quality.py)."""

import random

import pytest

from rankings.quality import RankingRecord, Thresholds, trainer_quality

HONEST, RANDOM, LONGEST, REVERSER = 1, 2, 3, 4


def records(comparisons: int, seed: int = 3) -> tuple[list[RankingRecord], dict[int, list[list[int]]]]:
    """Three careful trainers rank by the true order (ids ascending); the others as their names say.
    Length is unrelated to quality. Every fifth comparison is gold."""
    rng = random.Random(seed)
    out, gold = [], {}
    for comparison in range(comparisons):
        ids = [comparison * 4 + i for i in range(4)]
        lengths = {c: rng.randint(50, 900) for c in ids}
        truth = [[c] for c in ids]
        if comparison % 5 == 0:
            gold[comparison] = truth
        rankings = {
            HONEST: truth,
            10: truth,
            11: [[ids[0]], [ids[1], ids[2]], [ids[3]]],
            RANDOM: [[c] for c in rng.sample(ids, 4)],
            LONGEST: [[c] for c in sorted(ids, key=lambda c: -lengths[c])],
            REVERSER: truth[::-1],
        }
        for trainer, tiers in rankings.items():
            shown = rng.sample(ids, 4)
            out.append(
                RankingRecord(
                    trainer=trainer,
                    comparison=comparison,
                    tiers=tiers,
                    display_order=shown,
                    duration_ms=1000 * trainer,
                    matches_display_order=[t[0] for t in tiers] == shown,
                    lengths=lengths,
                )
            )
    return out, gold


def test_careful_trainers_are_not_flagged_and_careless_ones_are_with_reasons():
    data, gold = records(60)
    quality = trainer_quality(data, gold=gold)
    assert quality[HONEST].reasons == [] and quality[10].reasons == [] and quality[11].reasons == []
    assert any(reason.startswith("Low agreement") for reason in quality[RANDOM].reasons)
    assert any(reason.startswith("Prefers longer answers") for reason in quality[LONGEST].reasons)
    assert any(reason.startswith("Low gold accuracy") for reason in quality[REVERSER].reasons)
    assert quality[HONEST].score > quality[RANDOM].score > quality[REVERSER].score


def test_nobody_is_flagged_before_the_minimum_number_of_comparisons():
    data, gold = records(Thresholds().min_comparisons - 1)
    quality = trainer_quality(data, gold=gold, thresholds=Thresholds(min_gold=100))
    assert all(q.reasons == [] for q in quality.values())


def test_the_figures_of_one_trainer():
    data, gold = records(20)
    quality = trainer_quality(data, gold=gold, skips={HONEST: 5, 99: 2})
    honest = quality[HONEST]
    assert (honest.rankings, honest.skips, honest.skip_rate) == (20, 5, 0.2)
    assert honest.median_seconds == 1.0
    assert honest.gold.mean == 1 and honest.gold.n == 4
    assert honest.kept_order_chance == pytest.approx(1 / 24)
    assert quality[99].rankings == 0 and quality[99].skip_rate == 1


def test_a_lead_ruling_replaces_the_leave_one_out_consensus():
    data, _ = records(5)
    reversed_truth = {c: [[c * 4 + i] for i in range(3, -1, -1)] for c in range(5)}
    quality = trainer_quality(data, references=reversed_truth)
    assert quality[REVERSER].agreement.mean == 1
    assert quality[HONEST].agreement.mean == 0
