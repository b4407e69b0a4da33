"""Transient failures leave the comparison pending for a retry and keep what was stored."""

import pytest

from labeler.models import Comparison
from labeler.sampling.client import TransientSamplingError
from labeler.sampling.sampler import comparison_sample, comparison_sample_with_retries, retry_delay
from labeler.tests.factories import ComparisonFactory, ModelEndpointFactory, ProjectFactory
from labeler.tests.fakeserver import Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def comparison(fake_model_server):
    project = ProjectFactory(k=4)
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, share=4, timeout_seconds=0.5)
    return ComparisonFactory(project=project, status=Comparison.Status.PENDING)


def sample_expecting_retry(comparison) -> TransientSamplingError:
    with pytest.raises(TransientSamplingError) as raised:
        comparison_sample(comparison_id=comparison.id)
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.PENDING
    assert comparison.failure_reason.startswith("Retrying: ")
    return raised.value


def test_a_429_is_retried_after_the_servers_retry_after(fake_model_server, comparison):
    fake_model_server.default = Reply.status(429, retry_after=7)

    error = sample_expecting_retry(comparison)

    assert error.retry_after == 7.0
    assert "HTTP 429" in comparison.failure_reason
    assert retry_delay(retries=0, retry_after=error.retry_after) >= 7.0


def test_a_server_error_is_retried(fake_model_server, comparison):
    fake_model_server.default = Reply.status(500)

    error = sample_expecting_retry(comparison)

    assert error.retry_after is None
    assert "HTTP 500" in comparison.failure_reason


def test_a_server_that_hangs_times_out_and_is_retried(fake_model_server, comparison):
    fake_model_server.default = Reply.hang(5)

    sample_expecting_retry(comparison)

    assert "did not answer within 0.5 s" in comparison.failure_reason


def test_a_server_that_is_down_is_retried(comparison):
    comparison.project.endpoints.update(base_url="http://127.0.0.1:9/v1")

    sample_expecting_retry(comparison)

    assert "Could not connect" in comparison.failure_reason


def test_candidates_stored_before_the_failure_are_kept_and_the_retry_fills_the_rest(fake_model_server, comparison):
    fake_model_server.script(Reply.ok(), Reply.status(503))
    fake_model_server.default = Reply.ok(delay=0.2)
    comparison.project.endpoints.update(max_concurrency=1)

    sample_expecting_retry(comparison)
    kept = list(comparison.candidates.values_list("sample_index", "text"))
    assert kept and len(kept) < 4

    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.READY
    assert comparison.candidates.count() == 4
    assert set(kept) <= set(comparison.candidates.values_list("sample_index", "text"))


def test_it_gives_up_after_the_last_retry_with_the_reason(fake_model_server, comparison, settings):
    settings.RANKLAB_SAMPLING_MAX_RETRIES = 2
    settings.RANKLAB_SAMPLING_RETRY_BACKOFF_SECONDS = 0.01
    fake_model_server.default = Reply.status(502)

    assert comparison_sample_with_retries(comparison_id=comparison.id) == Comparison.Status.FAILED

    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.FAILED
    assert comparison.failure_reason.startswith("Gave up after 3 attempts: HTTP 502")
    assert len(fake_model_server.requests) == 3


def test_backoff_grows_and_stays_under_its_ceiling(settings):
    settings.RANKLAB_SAMPLING_RETRY_BACKOFF_SECONDS = 1.0
    settings.RANKLAB_SAMPLING_RETRY_BACKOFF_MAX_SECONDS = 60.0

    delays = [retry_delay(retries=retries, retry_after=None) for retries in range(12) for _ in range(20)]

    assert all(0 <= delay <= 60.0 for delay in delays)
    assert max(delays[:20]) <= 1.0
    assert retry_delay(retries=0, retry_after=3600) == 60.0
