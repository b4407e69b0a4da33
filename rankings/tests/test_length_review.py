"""A lead's comparison review shows what the project's length settings did to each candidate."""

import pytest
from django.urls import reverse

from rankings.tests.stats_data import small_project

pytestmark = pytest.mark.django_db


def test_the_review_shows_the_length_asked_and_a_resample(lead_client, project):
    comparison = small_project(project)["comparisons"][0]
    control = {"instruction": "Answer in about 40 words.", "max_tokens": 80}
    resample = {"bound": 2.5, "median_chars_of_others": 90, "first_chars": 400, "resampled_chars": 120}
    comparison.candidates.filter(sample_index=0).update(
        params={"length_control": control, "length_resample": {**resample, "kept": "resample"}}
    )
    comparison.candidates.filter(sample_index=1).update(params={"length_control": control})

    html = lead_client.get(reverse("comparison_review", args=[project.slug, comparison.id])).content.decode()

    assert html.count("Length asked: Answer in about 40 words. · at most 80 tokens") == 2
    assert html.count("resampled once (400 → 120 chars), the resample kept") == 1
