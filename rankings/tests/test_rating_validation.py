"""Ratings are checked on the server, named by candidate and attribute, stored, and kept through revision."""

import pytest

from labeler.rubric import default_rubric
from labeler.tests.factories import ComparisonFactory
from rankings.models import Ranking, Rating
from rankings.rating_stats import rating_stats
from rankings.ratings import ratings_of
from rankings.revisions import ranking_revise
from rankings.services import Judgement
from rankings.tests.factories import lease, submit
from ranklab.errors import RankLabError

pytestmark = pytest.mark.django_db

KEYS = [attribute["key"] for attribute in default_rubric()]


@pytest.fixture
def rated(project):
    project.rubric = default_rubric()
    project.rubric[4]["required"] = False  # verbosity optional
    project.save(update_fields=["rubric"])
    ComparisonFactory(project=project, with_candidates=True)
    return project


def full(assignment, value=2) -> dict:
    return {candidate: dict.fromkeys(KEYS[:4], value) for candidate in assignment.display_order}


def letters(assignment) -> dict[int, str]:
    return {candidate: "ABCDEFGHI"[index] for index, candidate in enumerate(assignment.display_order)}


def tiers_of(assignment) -> list[list[int]]:
    return [[candidate] for candidate in sorted(assignment.display_order, reverse=True)]


def submitting(assignment, ratings):
    return submit(assignment, tiers=tiers_of(assignment), confirmed_display_order=True, ratings=ratings)


def test_a_rated_ranking_stores_one_row_per_candidate_and_attribute(rated, trainer):
    assignment = lease(rated, trainer)
    ratings = full(assignment)
    ratings[assignment.display_order[0]]["verbosity"] = "3"  # as a form sends it
    ranking = submitting(assignment, ratings)
    stored = ratings_of(ranking=ranking)
    assert stored[assignment.display_order[0]]["verbosity"] == 3
    assert Rating.objects.filter(ranking=ranking).count() == 4 * len(assignment.display_order) + 1
    assert ranking.rating_keys == ",".join(KEYS)


def test_a_value_out_of_range_is_refused_naming_the_candidate_and_attribute(rated, trainer):
    assignment = lease(rated, trainer)
    ratings = full(assignment)
    second = assignment.display_order[1]
    ratings[second]["correctness"] = 5
    with pytest.raises(RankLabError, match=r"^Candidate B: Correctness must be from 0 to 4, not 5\.$"):
        submitting(assignment, ratings)
    assert not Ranking.objects.exists() and not Rating.objects.exists()


def test_an_unknown_attribute_is_refused(rated, trainer):
    assignment = lease(rated, trainer)
    ratings = full(assignment)
    ratings[assignment.display_order[0]]["humour"] = 1
    with pytest.raises(RankLabError, match=r"^Candidate A: unknown rating attribute 'humour'\.$"):
        submitting(assignment, ratings)


@pytest.mark.parametrize("value", ["2.5", "two", 2.0, True, None, ""])
def test_a_value_that_is_not_a_whole_number_is_refused(rated, trainer, value):
    assignment = lease(rated, trainer)
    ratings = full(assignment)
    ratings[assignment.display_order[2]]["coherence"] = value
    with pytest.raises(RankLabError, match=r"^Candidate C: Coherence must be a whole number from 0 to 4\.$"):
        submitting(assignment, ratings)


def test_a_missing_required_rating_is_refused_and_an_optional_one_may_be_left_out(rated, trainer):
    assignment = lease(rated, trainer)
    ratings = full(assignment)
    del ratings[assignment.display_order[3]]["helpfulness"]
    with pytest.raises(RankLabError, match=r"^Candidate D: rate Helpfulness \(required\)\.$"):
        submitting(assignment, ratings)
    ratings = full(assignment)
    del ratings[assignment.display_order[1]]
    with pytest.raises(RankLabError, match=r"^Candidate B: rate Helpfulness \(required\)\.$"):
        submitting(assignment, ratings)


def test_a_rating_of_a_candidate_of_another_comparison_is_refused(rated, trainer):
    assignment = lease(rated, trainer)
    ratings = {**full(assignment), 999_999: dict.fromkeys(KEYS[:4], 1)}
    with pytest.raises(RankLabError, match="candidate 999999, which does not belong"):
        submitting(assignment, ratings)


def test_a_project_without_a_rubric_takes_no_ratings_and_asks_for_none(project, trainer):
    ComparisonFactory(project=project, with_candidates=True)
    assignment = lease(project, trainer)
    with pytest.raises(RankLabError, match="unknown rating attribute 'helpfulness'"):
        submitting(assignment, {assignment.display_order[0]: {"helpfulness": 1}})
    submitting(assignment, {})
    assert Ranking.objects.count() == 1 and not Rating.objects.exists()


def test_revising_replaces_the_ratings_and_checks_them_again(rated, trainer):
    assignment = lease(rated, trainer)
    ranking = submitting(assignment, full(assignment, 1))
    first = assignment.display_order[0]
    bad = {**full(assignment, 3), first: {**dict.fromkeys(KEYS[:4], 3), "helpfulness": -1}}
    judgement = Judgement(tiers=tiers_of(assignment), confirmed_display_order=True, ratings=bad)
    with pytest.raises(RankLabError, match=r"^Candidate A: Helpfulness must be from 0 to 4, not -1"):
        ranking_revise(trainer=trainer, project=rated, ranking_id=ranking.id, judgement=judgement)
    assert set(Rating.objects.values_list("value", flat=True)) == {1}
    judgement = Judgement(tiers=tiers_of(assignment), confirmed_display_order=True, ratings=full(assignment, 3))
    ranking_revise(trainer=trainer, project=rated, ranking_id=ranking.id, judgement=judgement)
    assert set(Rating.objects.values_list("value", flat=True)) == {3}
    assert Rating.objects.count() == 4 * len(assignment.display_order)
    # The statistics read the packed copy: revised with the rows.
    figures = rating_stats(project=rated)["attributes"]
    assert [attribute["mean"] for attribute in figures] == [3.0, 3.0, 3.0, 3.0, None]


def test_the_submitted_form_names_the_candidate_and_attribute_of_a_refused_rating(rated, trainer, client):
    client.force_login(trainer)
    client.get(f"/p/{rated.slug}/rank/")
    assignment = lease(rated, trainer)
    data = {"tiers": str(tiers_of(assignment)), "confirmed": "1", "duration_ms": "1000"}
    for candidate, values in full(assignment).items():
        for key, value in values.items():
            data[f"rating-{candidate}-{key}"] = str(value)
    data[f"rating-{assignment.display_order[1]}-complexity"] = "9"
    response = client.post(f"/p/{rated.slug}/rank/{assignment.id}/submit/", data)
    assert "Candidate B: Complexity must be from 0 to 4, not 9." in response.content.decode()
    # The screen comes back with the trainer's other ratings still chosen.
    assert f'name="rating-{assignment.display_order[0]}-helpfulness" value="2" checked' in response.content.decode()
    assert not Ranking.objects.exists()
