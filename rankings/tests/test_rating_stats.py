"""The ratings on the dashboard: interval alpha per attribute (the `krippendorff` package agrees),
the distribution of values and each trainer's means, computed with the other statistics."""

import krippendorff
import numpy as np
import pytest
from django.urls import reverse

from labeler.tests.factories import ComparisonFactory
from rankings.models import Rating
from rankings.stats import project_stats_refresh
from rankings.tests.factories import lease, submit, trainers_of

pytestmark = pytest.mark.django_db

RUBRIC = [
    {"key": "helpfulness", "label": "Helpfulness", "min": 0, "max": 4, "required": True, "guidance": "Useful?"},
    {"key": "tone", "label": "Tone", "min": -2, "max": 2, "required": False, "guidance": ""},
]


@pytest.fixture
def rated(project):
    """Four trainers rate the candidates of five comparisons; tone is left out now and then."""
    project.rubric, project.overlap = RUBRIC, 4
    project.save(update_fields=["rubric", "overlap"])
    for _ in range(5):
        ComparisonFactory(project=project, with_candidates=True)
    rng = np.random.default_rng(7)
    for noise, trainer in enumerate(trainers_of(project, 4)):
        while (assignment := lease(project, trainer)) is not None:
            ratings = {}
            for candidate in assignment.display_order:
                ratings[candidate] = {
                    "helpfulness": int(np.clip(candidate % 5 + rng.integers(-noise, noise + 1), 0, 4))
                }
                if rng.random() < 0.7:
                    ratings[candidate]["tone"] = int(rng.integers(-2, 3))
            tiers = [[candidate] for candidate in sorted(assignment.display_order)]
            submit(assignment, tiers=tiers, confirmed_display_order=True, ratings=ratings)
    return project


def reference_alpha(attribute: str) -> float:
    rows = list(Rating.objects.filter(attribute=attribute).values_list("ranking__trainer_id", "candidate_id", "value"))
    trainers = sorted({row[0] for row in rows})
    candidates = sorted({row[1] for row in rows})
    matrix = np.full((len(trainers), len(candidates)), np.nan)
    for trainer, candidate, value in rows:
        matrix[trainers.index(trainer), candidates.index(candidate)] = value
    return krippendorff.alpha(reliability_data=matrix, level_of_measurement="interval")


def test_the_recompute_gives_each_attribute_the_packages_alpha_and_its_distribution(rated):
    data = project_stats_refresh(project_id=rated.id).data["ratings"]
    helpfulness, tone = data["attributes"]
    assert helpfulness["alpha"] == pytest.approx(reference_alpha("helpfulness"))
    assert tone["alpha"] == pytest.approx(reference_alpha("tone"))
    assert helpfulness["units"] == Rating.objects.filter(attribute="helpfulness").values("candidate").distinct().count()
    assert [row["value"] for row in tone["distribution"]] == [-2, -1, 0, 1, 2]
    assert (
        sum(row["count"] for row in tone["distribution"])
        == tone["ratings"]
        == Rating.objects.filter(attribute="tone").count()
    )
    assert len(data["trainers"]) == 4
    for row in data["trainers"]:
        values = Rating.objects.filter(ranking__trainer__username=row["username"], attribute="helpfulness")
        assert row["means"][0] == pytest.approx(np.mean(list(values.values_list("value", flat=True))))


def test_the_dashboard_shows_alpha_units_distribution_and_trainers_means(rated, lead_client):
    data = project_stats_refresh(project_id=rated.id).data["ratings"]
    html = lead_client.get(reverse("project_dashboard", args=[rated.slug])).content.decode()
    section = html[html.index('id="ratings"') :]
    helpfulness = data["attributes"][0]
    assert f'<td class="num">{helpfulness["alpha"]:.2f}</td><td class="num">{helpfulness["units"]}</td>' in section
    assert 'data-attribute="tone"' in section and "Tone: share of ratings per value" in section
    counts = "".join(f'<td class="num">{row["count"]}</td>' for row in helpfulness["distribution"])
    assert counts in section
    for row in data["trainers"]:
        assert row["username"] in section[section.index('id="rating-trainers"') :]


def test_a_project_without_a_rubric_has_no_ratings_figures_or_section(project, lead_client):
    ComparisonFactory(project=project, with_candidates=True)
    assert project_stats_refresh(project_id=project.id).data["ratings"] is None
    html = lead_client.get(reverse("project_dashboard", args=[project.slug])).content.decode()
    assert 'id="ratings"' not in html


def test_the_dashboard_with_ratings_is_a_404_to_another_projects_lead(rated, outsider_client):
    project_stats_refresh(project_id=rated.id)
    assert outsider_client.get(reverse("project_dashboard", args=[rated.slug])).status_code == 404
