"""A trainer's length preference: how much more often they pick the longer answer than the
consensus does on the same pairs, with Newcombe's interval for paired shares."""

import math
import random

import pytest
from django.urls import reverse

from rankings.quality import LengthPreference, RankingRecord, Thresholds, trainer_quality
from ranklab.intervals import paired_difference_interval, wilson_interval

K = 4
LONGEST = 9


def simulate(comparisons: int, *, seed: int = 5) -> list[RankingRecord]:
    """Six careful trainers see quality through a little noise; trainer 9 puts the longest first.
    Length is unrelated to quality, so the careful trainers pick the longer answer half the time."""
    rng = random.Random(seed)
    records = []
    for comparison in range(comparisons):
        ids = [comparison * K + i for i in range(K)]
        quality = {c: rng.gauss(0, 1) for c in ids}
        lengths = {c: rng.randint(50, 2000) for c in ids}
        for trainer in rng.sample([*range(6), LONGEST], 3):
            if trainer == LONGEST:
                order = sorted(ids, key=lambda c: -lengths[c])
            else:
                order = sorted(ids, key=lambda c: -(quality[c] + rng.gauss(0, 0.3)))
            records.append(RankingRecord(trainer, comparison, [[c] for c in order], lengths=lengths))
    return records


def test_a_trainer_who_always_picks_the_longer_answer_scores_far_above_the_consensus():
    qualities = trainer_quality(simulate(200))
    planted = qualities[LONGEST].length_preference
    assert planted.as_dict()["trainer_share"] == 1
    # The consensus of careful trainers picks the longer one about half the time.
    assert planted.score == pytest.approx(0.5, abs=0.1)
    low, high = planted.interval
    assert Thresholds().length_preference_bar < low < planted.score < high
    assert any(reason.startswith("Prefers longer answers") for reason in qualities[LONGEST].reasons)
    for trainer in range(6):
        preference = qualities[trainer].length_preference
        assert preference.interval[0] < 0.05 and abs(preference.score) < 0.1
        assert not any("longer" in reason for reason in qualities[trainer].reasons)


def test_the_bar_is_the_projects_setting():
    reasons = trainer_quality(simulate(200), thresholds=Thresholds(length_preference_bar=0.9))[LONGEST].reasons
    assert not any(reason.startswith("Prefers longer answers") for reason in reasons)


def test_only_pairs_of_different_length_that_both_decided_count():
    """Trainer 1 against the consensus of trainer 2 alone (one ranking is its own consensus)."""
    lengths = {1: 100, 2: 200, 3: 200, 4: 50}
    records = [
        RankingRecord(1, 1, [[2], [1], [3, 4]], lengths=lengths),
        RankingRecord(2, 1, [[1], [2], [4], [3]], lengths=lengths),
    ]
    preference = trainer_quality(records)[1].length_preference
    # (1, 2): trainer picked 2 (longer), consensus 1 (shorter). (1, 3): trainer 1 (shorter), consensus 1.
    # (1, 4): trainer 1 (longer), consensus 1. (2, 3): same length. (2, 4): both 2 (longer).
    # (3, 4): the trainer tied them.
    assert (preference.both_longer, preference.only_trainer_longer, preference.only_reference_longer) == (2, 1, 0)
    assert preference.both_shorter == 1
    assert preference.score == pytest.approx(1 / 4)


def test_the_paired_interval_by_hand():
    """Newcombe's method 10 on the table 36 / 12 / 2 / 0, worked through with Wilson intervals."""
    n = 50
    p1, p2 = 48 / n, 38 / n
    (l1, u1), (l2, u2) = wilson_interval(48, n), wilson_interval(38, n)
    phi = (36 * 0 - 12 * 2) / math.sqrt(48 * 2 * 38 * 12)
    low = (p1 - p2) - math.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    high = (p1 - p2) + math.sqrt((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2)
    assert paired_difference_interval(36, 12, 2, 0) == pytest.approx((low, high))
    assert paired_difference_interval(36, 12, 2, 0) == pytest.approx((0.0569, 0.3404), abs=1e-4)


def test_the_paired_interval_brackets_the_difference_and_narrows_with_more_pairs():
    assert paired_difference_interval(0, 0, 0, 0) is None
    low, high = paired_difference_interval(30, 10, 10, 30)
    assert low == pytest.approx(-high) and low < 0 < high
    small = paired_difference_interval(5, 5, 1, 5)
    large = paired_difference_interval(50, 50, 10, 50)
    assert small[0] < 4 / 16 < small[1] and large[0] < 40 / 160 < large[1]
    assert large[1] - large[0] < small[1] - small[0]
    assert LengthPreference(0, 0, 0, 0).as_dict() == {
        "score": None, "ci": None, "pairs": 0, "trainer_share": None, "reference_share": None,
    }  # fmt: skip


@pytest.mark.django_db
def test_a_lead_sets_the_bar_on_the_settings_page_and_left_out_it_stays(lead_client, project):
    url = reverse("project_settings", args=[project.slug])
    settings = {"name": project.name, "kind": "comparison", "k": 4, "overlap": 2, "lease_minutes": 30}
    assert lead_client.post(url, {**settings, "flags": "other: Other", "length_preference_bar": 20}).status_code == 302
    project.refresh_from_db()
    assert project.length_preference_bar == 20
    assert lead_client.post(url, {**settings, "flags": "other: Other"}).status_code == 302
    project.refresh_from_db()
    assert project.length_preference_bar == 20
    refused = lead_client.post(url, {**settings, "flags": "x: X", "length_preference_bar": 101})
    assert refused.status_code == 200 and "less than or equal to 100" in refused.text
