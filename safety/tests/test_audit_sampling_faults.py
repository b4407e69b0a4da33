"""An audit's requests keep to the endpoint's concurrency cap, and a busy server is asked again
(the fault-injecting fake model server; the filter is the keyword server)."""

import pytest

from labeler.tests.factories import ModelEndpointFactory
from labeler.tests.fakeserver import Reply
from safety.audit_runner import audit_run_execute
from safety.audits import audit_run_create, probes_import, suite_create
from safety.models import AuditAnswer, ModerationEndpoint
from safety.tests.audit_data import jsonl

pytestmark = pytest.mark.django_db


@pytest.fixture
def suite(project, moderation_server):
    ModerationEndpoint.objects.create(project=project, base_url=moderation_server.base_url)
    suite = suite_create(project=project, name="Gate", thresholds={"hate": {"max_disallowed_rate": 0.0}})
    probes_import(
        suite=suite, source=jsonl([{"id": f"p{n}", "category": "hate", "prompt": f"Probe {n}"} for n in range(6)])
    )
    return suite


def test_no_more_requests_are_in_flight_than_the_endpoint_allows(project, suite, fake_model_server):
    fake_model_server.default = Reply.ok(text="A calm answer.", delay=0.2)
    endpoint = ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, max_concurrency=2)

    run = audit_run_execute(run_id=audit_run_create(suite=suite, endpoint=endpoint, baseline=None, enqueue=False).id)

    assert run.status == "done" and run.passed is True
    assert len(fake_model_server.requests) == 6
    assert fake_model_server.max_in_flight == 2


def test_a_busy_server_is_asked_again_and_a_failing_one_leaves_errors_to_fill_later(
    project, suite, fake_model_server, settings
):
    settings.RANKLAB_SAMPLING_RETRY_BACKOFF_SECONDS = 0.01
    fake_model_server.script(Reply.status(503), Reply.status(429, retry_after=0))
    fake_model_server.default = Reply.ok(text="A calm answer.")
    endpoint = ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, max_concurrency=1)

    run = audit_run_execute(run_id=audit_run_create(suite=suite, endpoint=endpoint, baseline=None, enqueue=False).id)

    assert run.report["incomplete"] == {"errors": 0, "unjudged": 0}
    assert len(fake_model_server.requests) == 8

    fake_model_server.default = Reply.status(400)
    again = audit_run_create(suite=suite, endpoint=endpoint, baseline=None, enqueue=False)
    again = audit_run_execute(run_id=again.id)
    assert again.report["incomplete"]["errors"] == 6
    assert AuditAnswer.objects.filter(run=again, error__startswith="HTTP 400").count() == 6

    fake_model_server.default = Reply.ok(text="Back again.")
    again.status = "failed"
    again.save(update_fields=["status"])
    again = audit_run_execute(run_id=again.id, take_over=True)
    assert again.passed is True
    assert set(AuditAnswer.objects.filter(run=again).values_list("text", flat=True)) == {"Back again."}
