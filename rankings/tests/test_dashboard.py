"""The lead dashboard: cached figures only, charts, and nobody but the project's leads."""

import pytest
from django.urls import reverse

from labeler.models import Message
from labeler.tests.factories import ModelEndpointFactory
from rankings.stats import project_stats_refresh
from rankings.tests.stats_data import comparison_with, rank, small_project, trainers

pytestmark = pytest.mark.django_db


def dashboard_url(project) -> str:
    return reverse("project_dashboard", args=[project.slug])


def test_before_the_first_computation_it_says_so(lead_client, project):
    response = lead_client.get(dashboard_url(project))
    assert response.status_code == 200
    assert "Not computed yet" in response.content.decode()


def test_the_lead_sees_numbers_charts_and_when_they_were_computed(lead_client, project):
    data = small_project(project)
    project_stats_refresh(project_id=project.id)
    html = lead_client.get(dashboard_url(project)).content.decode()
    assert "Last computed" in html and "from 5 rankings" in html
    assert '<div class="stat" id="agreement-exact">41.7%</div>' in html
    assert html.count("<svg") == 4
    for trainer in data["trainers"]:
        assert trainer.username in html
    assert "Untruthful / hallucination" in html
    assert "big" in html and "small" in html  # the arena table
    assert reverse("comparison_review", args=[project.slug, data["comparisons"][0].id]) in html
    # Numbers come before the charts.
    assert html.index("Pairwise agreement") < html.index("<svg")


def test_it_reads_only_the_cached_stats_whatever_the_size(lead_client, project, django_assert_num_queries):
    small_project(project)
    project_stats_refresh(project_id=project.id)
    # The user, the membership with its project, the cached stats (the session is in the cache),
    # whether the project has a moderation filter.
    with django_assert_num_queries(4):
        assert lead_client.get(dashboard_url(project)).status_code == 200
    people = trainers(project, 3, prefix="more")
    for index in range(30):
        comparison = comparison_with(project, [f"one {index}", f"two {index}!", f"three {index}!!"])
        for person in people:
            rank(comparison, person, [[index % 3], [(index + 1) % 3], [(index + 2) % 3]])
    project_stats_refresh(project_id=project.id)
    with django_assert_num_queries(4):
        assert lead_client.get(dashboard_url(project)).status_code == 200


def test_prompts_are_shown_escaped(lead_client, project):
    data = small_project(project)
    Message.objects.filter(id=data["comparisons"][0].prompt_message_id).update(content="<script>alert(1)</script>")
    project_stats_refresh(project_id=project.id)
    html = lead_client.get(dashboard_url(project)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_recompute_button_enqueues_a_refresh(lead_client, project, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = lead_client.post(reverse("project_stats_recompute", args=[project.slug]))
    assert response.status_code == 302 and response.url == dashboard_url(project)
    assert len(callbacks) == 1


def test_the_tab_is_shown_to_leads_only(lead_client, trainer, client, project):
    link = f'href="{dashboard_url(project)}"'
    assert link in lead_client.get(reverse("project_detail", args=[project.slug])).content.decode()
    client.force_login(trainer)
    assert link not in client.get(reverse("project_detail", args=[project.slug])).content.decode()


@pytest.mark.parametrize("who", ["trainer_client", "outsider_client"])
def test_trainers_and_outsiders_get_404_on_every_stats_page(who, request, project):
    data = small_project(project)
    project_stats_refresh(project_id=project.id)
    client = request.getfixturevalue(who)
    comparison = data["comparisons"][0]
    gets = [
        dashboard_url(project),
        reverse("comparison_open", args=[project.slug]) + f"?comparison={comparison.id}",
        reverse("comparison_review", args=[project.slug, comparison.id]),
    ]
    posts = [
        reverse("project_stats_recompute", args=[project.slug]),
        reverse("comparison_review", args=[project.slug, comparison.id]),
        reverse("adjudication_remove", args=[project.slug, comparison.id]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url).status_code == 404, url


def test_a_trainer_never_sees_other_trainers_numbers(trainer_client, project):
    data = small_project(project)
    project_stats_refresh(project_id=project.id)
    for url in (reverse("home"), reverse("project_detail", args=[project.slug])):
        html = trainer_client.get(url).content.decode()
        for other in data["trainers"]:
            assert other.username not in html


def test_anonymous_visitors_are_sent_to_log_in(client, project):
    response = client.get(dashboard_url(project))
    assert response.status_code == 302 and reverse("login") in response.url


def test_a_project_with_no_rankings_yet_renders_empty_figures(lead_client, project):
    project_stats_refresh(project_id=project.id)
    response = lead_client.get(dashboard_url(project))
    assert response.status_code == 200
    assert "Nothing to review." in response.content.decode()


def test_the_arena_shows_style_controlled_strengths_and_a_length_lover_is_listed_with_the_reason(lead_client, project):
    project.length_preference_bar = 5
    project.save(update_fields=["length_preference_bar"])
    wordy, terse = (
        ModelEndpointFactory(project=project, name="wordy"),
        ModelEndpointFactory(project=project, name="terse"),
    )
    careful, also_careful, lover = trainers(project, 3)
    for index in range(24):
        # Sample 0 is the better answer; which one is the longer alternates.
        texts = [f"good {index}", f"poor {index} " + "padding " * 20]
        if index % 2:
            texts = [f"good {index} " + "- detail\n" * 12, f"poor {index}"]
        comparison = comparison_with(project, texts, [wordy, terse] if index % 2 else [terse, wordy])
        shown = [0, 1] if index % 4 < 2 else [1, 0]
        rank(comparison, careful, [[0], [1]], shown=shown)
        rank(comparison, also_careful, [[0], [1]], shown=shown)
        longer = 0 if index % 2 else 1
        rank(comparison, lover, [[longer], [1 - longer]], shown=shown)
    project_stats_refresh(project_id=project.id)
    html = lead_client.get(dashboard_url(project)).content.decode()
    assert 'data-stat="bt-style"' in html and "Style effects" in html and 'data-stat="doubling-odds"' in html
    start = html.index('id="flagged-trainers"')
    looked_at = html[start : html.index("</section>", start)]
    assert lover.username in looked_at and "Prefers longer answers" in looked_at
    assert careful.username not in looked_at
    assert "+5 pts" in html  # the project's bar
