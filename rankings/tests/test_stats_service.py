"""The statistics of a small project, computed from the database by rankings.stats."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from labeler.tests.factories import ModelEndpointFactory, ProjectFactory
from rankings.agreement import comparison_figures
from rankings.models import Adjudication, ProjectStats
from rankings.stats import _candidates, project_stats_refresh
from rankings.style import style_of
from rankings.tests.stats_data import candidate_ids, comparison_with, rank, skip, small_project, trainers

pytestmark = pytest.mark.django_db


@pytest.fixture
def small():
    return small_project(ProjectFactory(k=3))


def test_it_stores_the_figures_in_project_stats(small):
    stats = project_stats_refresh(project_id=small["project"].id)
    assert ProjectStats.objects.get(project=small["project"]) == stats
    assert stats.computed_at is not None
    data = stats.data
    assert (data["rankings"], data["comparisons_ranked"], data["trainers_count"]) == (5, 2, 3)
    assert stats.rankings_count == 5


def test_agreement_is_pooled_over_every_pair_of_every_comparison(small):
    data = project_stats_refresh(project_id=small["project"].id).data
    # c1: t0 and t1 agree on 3 pairs, t2 reverses both: 3 of 9. c2: 2 of 3 (a tie against a preference).
    assert data["agreement"]["exact"] == pytest.approx(5 / 12)
    assert data["agreement"]["half"] == pytest.approx(5.5 / 12)
    assert data["agreement"]["comparisons"] == 2
    assert [week["comparisons"] for week in data["agreement_by_week"]] == [2]
    c1, c2 = small["comparisons"]
    assert [row["comparison"] for row in data["disagreements"]] == [c1.id, c2.id]
    assert data["disagreements"][0]["agreement"] == pytest.approx(1 / 3)
    assert data["disagreements"][0]["prompt"] == c1.prompt_message.content


def test_per_trainer_figures(small):
    data = project_stats_refresh(project_id=small["project"].id).data
    t0, t1, t2 = small["trainers"]
    rows = {row["username"]: row for row in data["trainers"]}
    assert rows[t0.username]["rankings"] == 2
    assert rows[t0.username]["median_seconds"] == pytest.approx(11)
    assert rows[t1.username]["flag_rate"] == pytest.approx(0.5)
    assert rows[t2.username]["skips"] == 1
    assert rows[t2.username]["skip_rate"] == pytest.approx(0.5)
    # The displayed order was 0, 1, 2: t0 kept it both times, t2 never.
    assert rows[t0.username]["kept_order_rate"] == 1
    assert rows[t2.username]["kept_order_rate"] == 0
    assert rows[t0.username]["chose_first_rate"] == 1
    # Leave-one-out: on c1 t2's ranking is compared with the consensus of t0 and t1 (0 > 1 > 2).
    assert rows[t2.username]["agreement"]["mean"] == 0
    assert data["flagged_trainers"] == []  # far fewer comparisons than a flag needs


def test_bias_flags_and_the_arena(small):
    data = project_stats_refresh(project_id=small["project"].id).data
    assert data["flag_counts"] == [{"key": "untruthful", "label": "Untruthful / hallucination", "count": 1}]
    assert data["flagged_rankings"] == 1
    assert data["position_bias"]["first"]["n"] == 5
    assert data["position_bias"]["first"]["successes"] == 4
    assert data["position_bias"]["first"]["expected"] == pytest.approx(1 / 3)
    # Longer won: t0 c1 2 of 3 (a>b, a>c yes; b>c no), t1 c1 the same, t2 c1 1 of 3, t0 c2 2 of 3, t1 c2 2 of 2.
    assert (data["length_bias"]["successes"], data["length_bias"]["n"]) == (9, 14)
    sources = {row["source"]: row for row in data["arena"]}
    assert set(sources) == {"big", "small"}
    assert sources["big"]["wins"] + sources["small"]["wins"] == sources["big"]["battles"] - sources["big"]["ties"]
    assert sources["big"]["bt"] > sources["small"]["bt"]
    assert data["arena"][0]["source"] == "big"


def test_gold_accuracy_is_measured_against_the_leads_ruling(small, lead):
    c1, c2 = small["comparisons"]
    c2.is_gold = True
    c2.save(update_fields=["is_gold"])
    ids = candidate_ids(c2)
    Adjudication.objects.create(comparison=c2, lead=lead, tiers=[[ids[0]], [ids[1]], [ids[2]]])
    data = project_stats_refresh(project_id=small["project"].id).data
    t0, t1, _ = small["trainers"]
    rows = {row["username"]: row for row in data["trainers"]}
    assert rows[t0.username]["gold"] == {
        "mean": 1.0,
        "n": 1,
        "lower": pytest.approx(1 - 1.645 * 0.1),
        "upper": pytest.approx(1 + 1.645 * 0.1),
    }
    assert rows[t1.username]["gold"]["mean"] == pytest.approx(2.5 / 3)
    assert data["gold"] == {"comparisons": 1, "with_truth": 1, "rankings": 2}
    assert data["adjudicated"] == 1
    # A ruled comparison leaves the disagreement queue.
    assert [row["comparison"] for row in data["disagreements"]] == [c1.id]


def test_a_trainer_who_keeps_the_displayed_order_is_flagged_and_honest_ones_are_not():
    project = ProjectFactory(k=3)
    lazy, honest, careful = trainers(project, 3)
    shows = [[2, 0, 1], [1, 2, 0], [2, 1, 0], [0, 2, 1], [1, 0, 2]]
    for index in range(25):
        # Of one length: the other trainers' consensus is half random here, and a careful trainer who
        # disagreed with it on pairs of different length would show a length preference.
        comparison = comparison_with(project, [f"answer A {index}", f"answer B {index}", f"answer C {index}"])
        shown = shows[index % len(shows)]
        rank(comparison, lazy, [[i] for i in shown], shown=shown)
        rank(comparison, honest, [[0], [1], [2]], shown=shows[(index + 1) % len(shows)])
        rank(comparison, careful, [[0], [1, 2]], shown=shows[(index + 2) % len(shows)])
    data = project_stats_refresh(project_id=project.id).data
    flagged = {row["username"]: row["reasons"] for row in data["flagged_trainers"]}
    assert set(flagged) == {lazy.username}
    assert any("displayed order" in reason for reason in flagged[lazy.username])


def test_it_reads_the_database_in_a_fixed_number_of_queries(small):
    project = small["project"]
    project_stats_refresh(project_id=project.id)
    with CaptureQueriesContext(connection) as before:
        project_stats_refresh(project_id=project.id)
    t0, t1, t2 = small["trainers"]
    for index in range(10):
        comparison = comparison_with(project, [f"x{index}", f"yy{index}", f"zzz{index}"])
        rank(comparison, t0, [[0], [1], [2]])
        rank(comparison, t1, [[1], [0], [2]])
        skip(comparison, t2)
    with CaptureQueriesContext(connection) as after:
        project_stats_refresh(project_id=project.id)
    # One query per table (rankings and candidates streamed with a server-side cursor), whatever the size;
    # and, now that there are new figures, one statement that stores the new comparisons' agreement.
    assert len(after) == len(before) + 1


def test_a_project_without_rankings_has_empty_figures():
    project = ProjectFactory()
    data = project_stats_refresh(project_id=project.id).data
    assert data["rankings"] == 0
    assert data["agreement"]["exact"] is None
    assert data["trainers"] == [] and data["arena"] == [] and data["disagreements"] == []


def test_the_pure_agreement_and_the_stored_one_agree(small):
    data = project_stats_refresh(project_id=small["project"].id).data
    c1, _ = small["comparisons"]
    tiers = [ranking.tiers for ranking in c1.rankings.order_by("id")]
    assert data["disagreements"][0]["agreement"] == pytest.approx(comparison_figures(tiers).pooled.rates()["exact"])


def test_the_style_of_every_candidate_is_read_as_style_of_reads_its_text():
    """Plain prose is not fetched (its length is its style): the filter must let every marker through."""
    project = ProjectFactory(k=4)
    texts = [
        "Plain prose.", "## Header\ntext", "has **bold** inline", "- item", "  3. item", "snake__case__word",
        "#tag", "two\nlines", "* star", "+ plus",
    ]  # fmt: skip
    comparisons = [comparison_with(project, texts[i : i + 4]) for i in range(0, len(texts) - 3, 2)]
    _, _, styles = _candidates(project)
    expected = {c.id: style_of(c.text).covariates for comp in comparisons for c in comp.candidates.all()}
    assert sorted(styles.ids.tolist()) == sorted(expected)
    for candidate_id, covariates in zip(styles.ids.tolist(), styles.covariates.tolist(), strict=True):
        assert covariates == pytest.approx(expected[candidate_id])


def test_the_arena_shows_raw_and_style_controlled_strengths_and_the_length_effect():
    project = ProjectFactory(k=2)
    wordy, terse = (
        ModelEndpointFactory(project=project, name="wordy"),
        ModelEndpointFactory(project=project, name="terse"),
    )
    (trainer,) = trainers(project, 1)
    for index in range(30):
        long = "## Answer\n\n" + "- a point\n" * (3 + index % 5) + "**Done.**"
        short = "Short answer " + "x" * (index % 7)
        comparison = comparison_with(project, [long, short], [wordy, terse])
        # The longer one wins four times in five.
        rank(comparison, trainer, [[0], [1]] if index % 5 else [[1], [0]])
    data = project_stats_refresh(project_id=project.id).data
    rows = {row["source"]: row for row in data["arena"]}
    assert rows["wordy"]["bt"] > rows["terse"]["bt"]
    for row in rows.values():
        assert row["bt_ci"][0] < row["bt"] < row["bt_ci"][1]
        assert row["bt_style_ci"][0] < row["bt_style"] < row["bt_style_ci"][1]
    style = data["style_control"]
    assert style["battles"] == 30
    assert [effect["covariate"] for effect in style["effects"]] == ["length", "headers", "lists", "bold"]
    assert style["doubling_odds"] == pytest.approx(2 ** style["effects"][0]["coefficient"])
