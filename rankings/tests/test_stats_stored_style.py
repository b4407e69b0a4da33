"""The statistics read each candidate's stored style, and measure the text of one that has none."""

import pytest

from labeler.models import CANDIDATE_STYLE_FIELDS, Candidate
from labeler.tests.factories import ModelEndpointFactory, ProjectFactory
from rankings.stats import _candidates, project_stats_compute
from rankings.style import style_of
from rankings.tests.stats_data import comparison_with, rank, trainers

pytestmark = pytest.mark.django_db


def styled_project():
    project = ProjectFactory(k=2)
    wordy, terse = (
        ModelEndpointFactory(project=project, name="wordy"),
        ModelEndpointFactory(project=project, name="terse"),
    )
    (trainer,) = trainers(project, 1)
    for index in range(20):
        long = "## Answer\n\n" + "- a point\n" * (3 + index % 5) + "**Done.** " * (index % 3)
        short = "Short answer " + "x" * (index % 7)
        comparison = comparison_with(project, [long, short], [wordy, terse])
        rank(comparison, trainer, [[0], [1]] if index % 4 else [[1], [0]])
    return project


def test_a_candidate_without_a_stored_style_is_measured_from_its_text():
    project = styled_project()
    unmeasured = Candidate.objects.filter(comparison__project=project, sample_index=0)
    unmeasured.update(**dict.fromkeys(CANDIDATE_STYLE_FIELDS))
    _, _, styles = _candidates(project)
    expected = {candidate.id: style_of(candidate.text).covariates for candidate in Candidate.objects.all()}
    assert dict(zip(styles.ids.tolist(), map(tuple, styles.covariates.tolist()), strict=True)) == expected


def test_the_figures_are_the_same_from_stored_and_from_measured_styles():
    project = styled_project()
    stored = project_stats_compute(project=project)
    Candidate.objects.filter(comparison__project=project).update(**dict.fromkeys(CANDIDATE_STYLE_FIELDS))
    assert project_stats_compute(project=project) == stored
    assert stored["style_control"]["battles"] == 20
