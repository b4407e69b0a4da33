"""Failures that retrying cannot fix mark the comparison failed, with a reason a lead can read."""

import pytest

from labeler.models import Comparison
from labeler.sampling.sampler import comparison_sample
from labeler.tests.factories import ComparisonFactory, ModelEndpointFactory, ProjectFactory
from labeler.tests.fakeserver import Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def comparison(fake_model_server):
    project = ProjectFactory(k=2)
    ModelEndpointFactory(project=project, name="Fake", base_url=fake_model_server.base_url, share=2)
    return ComparisonFactory(project=project, status=Comparison.Status.PENDING)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply.status(400), "HTTP 400 from Fake: Request refused with status 400"),
        (Reply.status(401), "HTTP 401 from Fake"),
        (Reply.status(403), "HTTP 403 from Fake"),
        (Reply.status(404), "HTTP 404 from Fake"),
        (Reply.truncated(), "Fake sent a malformed response"),
        (Reply.empty_choices(), "Fake sent a response with no choices."),
        (Reply.missing_content(), "Fake sent a choice without message content."),
    ],
)
def test_it_fails_fast_with_the_reason(fake_model_server, comparison, reply, reason):
    fake_model_server.default = reply

    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.FAILED

    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.FAILED
    assert reason in comparison.failure_reason
    assert len(fake_model_server.requests) == 1


def test_a_project_without_endpoints_fails_with_a_hint(comparison):
    comparison.project.endpoints.update(is_active=False)

    comparison_sample(comparison_id=comparison.id)

    comparison.refresh_from_db()
    assert comparison.failure_reason == "This project has no active model endpoint: add one on the Endpoints page."


def test_shares_that_do_not_add_up_to_k_fail_with_a_hint(comparison):
    comparison.project.endpoints.update(share=1)

    comparison_sample(comparison_id=comparison.id)

    comparison.refresh_from_db()
    assert "shares add up to 1, but the project asks for 2" in comparison.failure_reason


def test_a_missing_key_variable_fails_without_sending_a_request(fake_model_server, comparison, monkeypatch):
    monkeypatch.delenv("RANKLAB_TEST_API_KEY", raising=False)
    comparison.project.endpoints.update(api_key_env="RANKLAB_TEST_API_KEY")

    comparison_sample(comparison_id=comparison.id)

    comparison.refresh_from_db()
    assert comparison.failure_reason == "The environment variable RANKLAB_TEST_API_KEY is not set where sampling runs."
    assert fake_model_server.requests == []
