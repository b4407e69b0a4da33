"""The filter's false-positive and false-negative rates on the dashboard, against a worked example."""

import pytest
from django.urls import reverse

from labeler.models import Membership
from labeler.tests.factories import ComparisonFactory, MembershipFactory
from rankings.filter_errors import ReviewedVerdict, filter_error_rates
from safety.models import ModerationEndpoint, ModerationReview, ModerationVerdict


def verdict(flagged=(), *reviews) -> ReviewedVerdict:
    return ReviewedVerdict(flagged=frozenset(flagged), reviews=tuple(reviews))


CONFIRM, HARMLESS = ("confirmed", ""), ("false_positive", "")


def missed(category: str) -> tuple[str, str]:
    return ("false_negative", category)


# Six reviewed verdicts and one nobody reviewed:
# 1. violence, confirmed by two             → violence: flagged, no FP
# 2. violence, harmless by two of three     → violence: flagged, FP (a majority)
# 3. violence, harmless by one of two       → violence: flagged, no FP (no majority)
# 4. not flagged, missed hate by one         → hate: FN; violence: not flagged, no FN
# 5. not flagged, confirmed                  → nothing missed
# 6. hate, missed violence by one           → hate: flagged, no FP; violence: FN
EXAMPLE = [
    verdict({"violence"}, CONFIRM, CONFIRM),
    verdict({"violence"}, HARMLESS, HARMLESS, CONFIRM),
    verdict({"violence"}, HARMLESS, CONFIRM),
    verdict(set(), missed("hate")),
    verdict(set(), CONFIRM),
    verdict({"hate"}, missed("violence")),
    verdict({"violence"}),
]


def row(figures, category):
    return next(row for row in figures["rows"] if row["category"] == category)


def test_the_rates_of_the_worked_example():
    figures = filter_error_rates(EXAMPLE, categories=["hate", "violence", "sexual"])

    assert figures["verdicts"] == 6 and figures["reviews"] == 10
    violence = row(figures, "violence")
    assert violence["reviewed"] == 6
    assert (violence["false_positives"]["errors"], violence["false_positives"]["n"]) == (1, 3)
    assert (violence["false_negatives"]["errors"], violence["false_negatives"]["n"]) == (1, 3)
    assert violence["false_positives"]["ci"] == pytest.approx([0.0615, 0.7923], abs=1e-4)
    hate = row(figures, "hate")
    assert (hate["false_positives"]["errors"], hate["false_positives"]["n"]) == (0, 1)
    assert (hate["false_negatives"]["errors"], hate["false_negatives"]["n"]) == (1, 5)
    assert hate["false_negatives"]["rate"] == pytest.approx(0.2)
    anything = row(figures, "any")
    assert (anything["false_positives"]["errors"], anything["false_positives"]["n"]) == (1, 4)
    assert (anything["false_negatives"]["errors"], anything["false_negatives"]["n"]) == (1, 2)
    sexual = row(figures, "sexual")
    assert sexual["false_positives"] == {"errors": 0, "n": 0, "rate": None, "ci": None}


def test_a_filter_category_without_a_harm_key_has_no_false_negative_rate():
    figures = filter_error_rates([verdict({"spam"}, HARMLESS)], categories=["hate"])
    assert row(figures, "spam")["false_positives"]["errors"] == 1
    assert row(figures, "spam")["false_negatives"] is None


@pytest.mark.django_db
def test_the_dashboard_shows_the_counts_and_rates_from_reviews(lead_client, project):
    ModerationEndpoint.objects.create(project=project, base_url="http://127.0.0.1:9/v1")
    trainers = [MembershipFactory(project=project, role=Membership.Role.TRAINER).user for _ in range(3)]
    comparison = ComparisonFactory(project=project, with_candidates=True)
    candidates = list(comparison.candidates.all())
    as_stored = [
        (["violence/graphic"], [CONFIRM, CONFIRM]),
        (["violence"], [HARMLESS, HARMLESS, CONFIRM]),
        ([], [missed("hate")]),
        (["hate"], [missed("violence")]),
    ]
    for candidate, (categories, reviews) in zip(candidates, as_stored, strict=True):
        stored = ModerationVerdict.objects.create(
            project=project, comparison=comparison, candidate=candidate, status="checked",
            flagged=bool(categories), categories=categories,
        )  # fmt: skip
        for trainer, (judgement, category) in zip(trainers, reviews, strict=False):
            ModerationReview.objects.create(verdict=stored, trainer=trainer, judgement=judgement, category=category)

    text = lead_client.get(reverse("project_dashboard", args=[project.slug])).text

    assert 'id="moderation"' in text and "From 4 reviewed verdicts (7 reviews)" in text
    violence = text.split('data-category="violence"')[1].split("</tr>")[0]
    assert '<td class="num" data-stat="fp">1</td>' in violence and "50.0%" in violence
    assert '<td class="num" data-stat="fn">1</td>' in violence
    hate = text.split('data-category="hate"')[1].split("</tr>")[0]
    assert '<td class="num" data-stat="fn">1</td>' in hate and "33.3%" in hate


@pytest.mark.django_db
def test_the_dashboard_of_a_project_without_a_filter_has_no_moderation_section(lead_client, project):
    assert 'id="moderation"' not in lead_client.get(reverse("project_dashboard", args=[project.slug])).text
