"""The lead's live view of sampling: counts, progress, failures, retry and resample."""

import pytest
from django.urls import reverse

from labeler.models import Assignment, Candidate, Comparison
from labeler.tests.factories import AssignmentFactory, CandidateFactory, ComparisonFactory, ModelEndpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def status_url(project):
    return reverse("project_sampling_status", args=[project.slug])


def test_a_user_of_another_project_gets_404(outsider_client, project):
    comparison = ComparisonFactory(project=project, status=Comparison.Status.FAILED)
    assert outsider_client.get(reverse("project_sampling_status", args=[project.slug])).status_code == 404
    assert outsider_client.post(reverse("sampling_retry_failed", args=[project.slug])).status_code == 404
    resample = reverse("sampling_resample", args=[project.slug, comparison.id])
    assert outsider_client.post(resample).status_code == 404
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.FAILED


def test_a_trainer_gets_404(trainer_client, project):
    assert trainer_client.get(reverse("project_sampling_status", args=[project.slug])).status_code == 404
    assert trainer_client.post(reverse("sampling_retry_failed", args=[project.slug])).status_code == 404


def test_it_shows_counts_and_progress_and_polls_while_sampling(lead_client, project, status_url):
    ModelEndpointFactory(project=project, share=project.k)
    ComparisonFactory.create_batch(3, project=project, status=Comparison.Status.READY)
    ComparisonFactory(project=project, status=Comparison.Status.SAMPLING)

    response = lead_client.get(status_url, HTTP_HX_REQUEST="true")

    assert '<progress max="4" value="3"' in response.text
    assert "3 of 4 comparisons sampled (75%)" in response.text
    assert 'hx-trigger="every 2s"' in response.text


def test_it_stops_polling_when_nothing_is_left_to_sample(lead_client, project, status_url):
    ModelEndpointFactory(project=project, share=project.k)
    ComparisonFactory(project=project, status=Comparison.Status.READY)

    response = lead_client.get(status_url)

    assert "hx-trigger" not in response.text
    assert "hx-get" not in response.text


def test_it_lists_failures_with_their_reasons_escaped(lead_client, project, status_url, django_assert_max_num_queries):
    ComparisonFactory(project=project, status=Comparison.Status.FAILED, failure_reason="HTTP 404 from <b>x</b>")
    ComparisonFactory.create_batch(3, project=project, status=Comparison.Status.FAILED, failure_reason="No choices.")

    with django_assert_max_num_queries(6):
        response = lead_client.get(status_url)

    assert "HTTP 404 from &lt;b&gt;x&lt;/b&gt;" in response.text
    assert "Retry 4 failed" in response.text
    assert "no active model endpoint" in response.text


def test_it_shows_why_comparisons_are_waiting_to_be_retried(lead_client, project, status_url):
    ComparisonFactory(project=project, status=Comparison.Status.PENDING, failure_reason="Retrying: HTTP 429 from x")

    response = lead_client.get(status_url)

    assert "1 waiting to be retried. Latest: Retrying: HTTP 429 from x" in response.text


def test_retry_failed_puts_them_back_in_the_queue_keeping_their_candidates(
    lead_client, project, django_capture_on_commit_callbacks
):
    failed = ComparisonFactory(project=project, status=Comparison.Status.FAILED, failure_reason="HTTP 500")
    kept = CandidateFactory(comparison=failed, sample_index=0)

    with django_capture_on_commit_callbacks() as callbacks:
        response = lead_client.post(reverse("sampling_retry_failed", args=[project.slug]), HTTP_HX_REQUEST="true")

    assert len(callbacks) == 1
    assert "Sampling 1 failed comparison again." in response.text
    failed.refresh_from_db()
    assert (failed.status, failed.failure_reason, failed.sampling_started_at) == (Comparison.Status.PENDING, "", None)
    assert list(failed.candidates.all()) == [kept]


def test_resample_replaces_the_sampled_candidates(lead_client, project, django_capture_on_commit_callbacks):
    comparison = ComparisonFactory(project=project, status=Comparison.Status.READY)
    CandidateFactory(comparison=comparison, sample_index=0, source=Candidate.Source.MODEL)
    imported = CandidateFactory(comparison=comparison, sample_index=1, source=Candidate.Source.IMPORT)

    with django_capture_on_commit_callbacks() as callbacks:
        response = lead_client.post(reverse("sampling_resample", args=[project.slug, comparison.id]))

    assert response.status_code == 302
    assert len(callbacks) == 1
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.PENDING
    assert list(comparison.candidates.all()) == [imported]


@pytest.mark.parametrize("blocker", ["ranked", "leased"])
def test_resample_refuses_a_comparison_trainers_have_seen(lead_client, project, blocker):
    comparison = ComparisonFactory(project=project, status=Comparison.Status.READY, with_candidates=True)
    if blocker == "ranked":
        Comparison.objects.filter(id=comparison.id).update(rankings_count=1)
    else:
        AssignmentFactory(comparison=comparison, status=Assignment.Status.ACTIVE)

    response = lead_client.post(
        reverse("sampling_resample", args=[project.slug, comparison.id]), HTTP_HX_REQUEST="true"
    )

    assert f"omparison {comparison.id}" in response.text
    assert 'class="message error"' in response.text
    assert comparison.candidates.count() == project.k
