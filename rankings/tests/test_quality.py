"""Per-trainer quality scores and flags (rankings/quality.py) on simulated trainers with known habits."""

import random

import pytest

from rankings.quality import RankingRecord, Thresholds, flag_trainers, trainer_quality

K = 4


def perceived(ids, quality, sigma, rng):
    seen = sorted(ids, key=lambda c: -(quality[c] + rng.gauss(0, sigma)))
    return [[c] for c in seen]


def simulate(comparisons, habits, *, seed=7, per_comparison=3):
    """`habits`: trainer → noise level (float) or one of "random", "first", "longest"."""
    rng = random.Random(seed)
    records = []
    for comparison in range(comparisons):
        ids = [comparison * K + i for i in range(K)]
        quality = {c: rng.gauss(0, 1) for c in ids}
        lengths = {c: rng.randint(100, 900) for c in ids}
        for trainer in rng.sample(sorted(habits), per_comparison):
            shown = rng.sample(ids, K)
            habit = habits[trainer]
            if habit == "random":
                tiers = [[c] for c in rng.sample(ids, K)]
            elif habit == "first":
                tiers = [[c] for c in shown]
            elif habit == "longest":
                tiers = [[c] for c in sorted(ids, key=lambda c: -lengths[c])]
            else:
                tiers = perceived(ids, quality, habit, rng)
            records.append(
                RankingRecord(
                    trainer=trainer,
                    comparison=comparison,
                    tiers=tiers,
                    display_order=shown,
                    duration_ms=30_000,
                    matches_display_order=[t[0] for t in tiers] == shown,
                    lengths=lengths,
                )
            )
    return records


HONEST = {trainer: 0.2 + 0.1 * trainer for trainer in range(8)}


def test_careless_trainers_are_flagged_with_the_right_reason_and_careful_ones_are_not():
    habits = {**HONEST, 20: "random", 21: "first", 22: "longest"}
    scores = trainer_quality(simulate(300, habits))
    flags = flag_trainers(scores, K)
    assert set(flags) == {20, 21, 22}
    assert any(reason.startswith("Low agreement") for reason in flags[20])
    assert any(reason.startswith("Picks the answer shown first") for reason in flags[21])
    assert any(reason.startswith("Keeps the displayed order") for reason in flags[21])
    assert any(reason.startswith("Prefers longer answers") for reason in flags[22])
    assert all(scores[t].reasons == flags.get(t, []) for t in scores)


def test_the_agreement_score_falls_as_the_noise_rises():
    scores = trainer_quality(simulate(600, {**HONEST, 8: 1.5, 9: 3.0}))
    assert scores[0].score > scores[4].score > scores[8].score > scores[9].score


def test_nobody_is_flagged_below_the_minimum_counts():
    habits = {**HONEST, 20: "random", 21: "first", 22: "longest"}
    records = simulate(45, habits)
    scores = trainer_quality(records)
    assert all(scores[t].rankings < Thresholds().min_comparisons for t in (20, 21, 22))
    assert flag_trainers(scores, K) == {}


def test_on_a_hard_task_the_bar_follows_the_typical_careful_trainer():
    """Every careful trainer is noisy enough to agree below the 65% floor; none is flagged."""
    hard = {trainer: 1.6 + 0.1 * trainer for trainer in range(8)}
    scores = trainer_quality(simulate(400, hard))
    assert max(q.score for q in scores.values()) < Thresholds().agreement_floor
    assert flag_trainers(scores, K) == {}
    assert all(q.agreement_reference < Thresholds().agreement_floor for q in scores.values())


def test_half_credit_is_given_for_a_tie_against_a_strict_preference():
    """Agreement is with the ranked-pairs consensus of the OTHER trainers of the comparison."""
    records = [
        RankingRecord(trainer=1, comparison=1, tiers=[[1], [2], [3]]),
        RankingRecord(trainer=2, comparison=1, tiers=[[1], [2], [3]]),
        RankingRecord(trainer=3, comparison=1, tiers=[[1, 2], [3]]),
    ]
    scores = trainer_quality(records)
    # Trainer 3 against 1>2>3: pair (1,2) tie vs strict = 0.5, the other two agree.
    assert scores[3].agreement.mean == pytest.approx(2.5 / 3)
    # Trainer 1 against the consensus of 2 and 3: 1>2 wins 1-0 (a tie is no vote), so 1>2>3.
    assert scores[1].agreement.mean == 1


def test_the_figures_of_one_trainer_from_plain_records():
    gold = [[1], [2], [3], [4]]
    records = [
        RankingRecord(1, 1, [[1], [2], [3], [4]], [1, 2, 3, 4], 10_000, matches_display_order=True, gold_tiers=gold),
        RankingRecord(1, 2, [[6], [5, 7, 8]], [5, 6, 7, 8], 20_000, flags=2),
        RankingRecord(1, 3, [[9, 10], [11, 12]], [9, 10, 11, 12], 90_000),
        RankingRecord(1, 4, [], [13, 14, 15, 16], 0, skipped=True),
        RankingRecord(2, 1, [[4], [3], [2], [1]], [4, 3, 2, 1], 5_000, lengths={1: 40, 2: 30, 3: 20, 4: 10}),
    ]
    scores = trainer_quality(records)
    one = scores[1]
    assert (one.rankings, one.skips, one.skip_rate) == (3, 1, 0.25)
    assert one.median_seconds == 20
    assert one.flag_rate == pytest.approx(1 / 3)
    # Single winners only: comparison 1 (shown first) and 2 (shown second); 3 has a tie on top.
    assert (one.chose_first, one.chose_first_n, one.chose_first_chance) == (1, 2, 0.25)
    assert one.kept_order_rate == pytest.approx(1 / 3)
    assert one.gold.mean == 1 and one.gold.n == 1
    assert scores[2].gold.mean == 0
    assert scores[2].longer_wins.mean == 0
    # On a gold comparison the truth is the reference, not the other trainers.
    assert scores[1].agreement.mean == 1 and scores[2].agreement.mean == 0
