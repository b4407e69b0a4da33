"""A lead's judge pages: the settings, the figures on the dashboard, the disagreements and the judge's
ranking on the comparison's page; nobody else reaches them."""

import pytest
from django.urls import reverse

from labeler.tests.factories import ComparisonFactory
from rankings.models import Judge
from rankings.stats import project_stats_refresh
from rankings.tests.factories import lease, submit, trainers_of
from rankings.tests.judge_data import MARKER, judge_of, judged

pytestmark = pytest.mark.django_db

_NEW_PAGES = ["judge_settings", "judge_disagreements"]


def _judged_and_ranked(project):
    """One comparison the judge ranks alike the trainer both ways, one it changes its mind on (a tie)."""
    project.k, project.overlap = 2, 1
    project.save(update_fields=["k", "overlap"])
    judge_of(project)
    comparisons = [ComparisonFactory(project=project, with_candidates=True) for _ in range(2)]
    (trainer,) = trainers_of(project, 1)
    for _ in comparisons:
        assignment = lease(project, trainer)
        a, b = assignment.comparison.candidates.order_by("id").values_list("id", flat=True)
        submit(assignment, tiers=[[a], [b]], confirmed_display_order=True)
    against, alike = comparisons
    a, b = against.candidates.order_by("id").values_list("id", flat=True)
    judged(against, [[b], [a]], [[a], [b]])
    a, b = alike.candidates.order_by("id").values_list("id", flat=True)
    judged(alike, [[a], [b]])
    project_stats_refresh(project_id=project.id)
    return against, alike


@pytest.mark.parametrize("name", _NEW_PAGES)
def test_a_member_of_another_project_gets_404_on_every_judge_page(outsider_client, project, name):
    judge_of(project)
    url = reverse(name, kwargs={"slug": project.slug})
    assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(url, {"base_url": "http://127.0.0.1:9/v1", "model": "x"}).status_code == 404
    assert Judge.objects.get(project=project).model == "judge-model"


@pytest.mark.parametrize("name", _NEW_PAGES)
def test_a_trainer_of_the_project_gets_404_on_every_judge_page(trainer_client, project, name):
    assert trainer_client.get(reverse(name, kwargs={"slug": project.slug})).status_code == 404


def test_a_lead_names_a_judge_with_the_default_prompt_and_changes_its_mode(lead_client, project):
    url = reverse("judge_settings", kwargs={"slug": project.slug})
    page = lead_client.get(url)
    assert "{answers}" in page.content.decode()

    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {"base_url": "http://127.0.0.1:8080/v1", "model": "smollm2", "mode": "pairs", "is_active": "on"}
    response = lead_client.post(url, data)

    assert response.status_code == 302
    judge = Judge.objects.get(project=project)
    assert (judge.model, judge.mode, judge.is_active) == ("smollm2", Judge.Mode.PAIRS, True)
    assert "Ranking: {example}" in judge.prompt


def test_a_prompt_without_the_answers_placeholder_is_refused_with_the_field_named(lead_client, project):
    url = reverse("judge_settings", kwargs={"slug": project.slug})
    response = lead_client.post(
        url,
        {"base_url": "http://127.0.0.1:8080/v1", "model": "m", "mode": "list", "prompt": "Rank them.",
         "max_tokens": 64, "timeout_seconds": 60},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Put {answers} where the candidates go." in response.context["form"].errors["prompt"]
    assert not Judge.objects.exists()


def test_the_dashboard_shows_the_judge_beside_the_people(lead_client, project):
    _judged_and_ranked(project)
    page = lead_client.get(reverse("project_dashboard", kwargs={"slug": project.slug})).content.decode()
    assert 'id="judge"' in page
    # One pair of two agrees with the trainer; one judgement of two is the same both ways.
    assert '<td class="num" id="judge-agreement">50.0%</td>' in page
    assert '<td class="num" id="judge-swap">50.0%</td>' in page


def test_the_disagreements_link_to_the_comparisons_page_which_shows_the_judges_runs(lead_client, project):
    against, alike = _judged_and_ranked(project)
    page = lead_client.get(reverse("judge_disagreements", kwargs={"slug": project.slug}))
    rows = page.context["figures"]["disagreements"]
    assert [row["comparison"] for row in rows] == [against.id, alike.id]
    detail = reverse("comparison_browse_detail", kwargs={"slug": project.slug, "comparison_id": against.id})
    assert f'href="{detail}"' in page.content.decode()

    shown = lead_client.get(detail).content.decode()
    assert 'id="judge-ranking"' in shown
    assert MARKER in shown
    assert "changed with the order" in shown


def test_a_judges_reply_is_shown_as_inert_text(lead_client, project):
    comparison = ComparisonFactory(project=project, with_candidates=True)
    ids = list(comparison.candidates.order_by("id").values_list("id", flat=True))
    row = judged(comparison, [ids])
    row.runs[0]["reply"] = "<script>alert(1)</script>"
    row.save(update_fields=["runs"])
    detail = reverse("comparison_browse_detail", kwargs={"slug": project.slug, "comparison_id": comparison.id})
    shown = lead_client.get(detail).content.decode()
    assert "<script>alert(1)</script>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
