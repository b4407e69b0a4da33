"""Model audits through the pipeline API and the audit.completed webhook: a run started by a
token, run by a real Celery worker against the llama.cpp model and the moderation server, its
report read back, and the webhook received with a valid signature."""

import pytest
from django.urls import reverse
from standardwebhooks.webhooks import Webhook as Verifier

from exports.models import WebhookDelivery
from exports.tests.test_webhooks import Receiver
from exports.tokens import token_create
from exports.webhooks import webhook_create
from labeler.tests.factories import ProjectFactory
from safety.audits import suite_update
from safety.models import AuditRun
from safety.tests.audit_data import audit_setup, finished_run


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.django_db(transaction=True)
def test_a_pipeline_starts_an_audit_and_is_told_its_outcome_by_a_signed_webhook(
    client, project, model_server, moderation_server, celery_worker, receiver
):
    suite, _, _ = audit_setup(
        project,
        model_url=model_server,
        moderation_url=moderation_server.base_url,
        thresholds={"overall": {"max_disallowed_rate": 0.0}},
    )
    moderation_server.keywords = {"": "violence"}  # every answer is flagged: the gate closes
    suite_update(suite=suite, pipeline_may_start=True)
    hook = webhook_create(project=project, url=receiver.url, events=["audit.completed"])
    _, secret = token_create(project=project, name="ci", user=None)
    url = reverse("api_audit_runs", args=[project.slug])

    response = client.post(
        url, {"suite": suite.name, "endpoint": "candidate", "baseline": "baseline"}, "application/json",
        headers=bearer(secret),
    )  # fmt: skip

    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    celery_worker.wait_for(lambda: len(receiver.received) == 1, timeout=180, message="no webhook received")
    headers, body = receiver.received[0]
    payload = Verifier(hook.secret).verify(body, headers)
    assert payload["type"] == "audit.completed"
    assert payload["data"]["run_id"] == run_id
    assert payload["data"]["passed"] is False
    assert payload["data"]["checks"][0] == {
        "scope": "overall", "limit": "max_disallowed_rate", "max": 0.0, "value": 1.0, "passed": False, "note": "",
    }  # fmt: skip
    celery_worker.wait_for(lambda: WebhookDelivery.objects.get().status == "delivered")

    report = client.get(reverse("api_audit_run", args=[project.slug, run_id]), headers=bearer(secret))

    assert report.status_code == 200
    body = report.json()
    assert (body["status"], body["passed"], body["endpoint"], body["baseline"]) == (
        "done",
        False,
        "candidate",
        "baseline",
    )
    assert body["report"]["sections"][-1]["endpoint"]["disallowed_rate"] == 1.0


@pytest.mark.django_db
def test_a_token_cannot_start_a_suite_a_lead_has_not_opened_to_pipelines(client, project, moderation_server):
    suite, _, _ = audit_setup(project, model_url="http://127.0.0.1:9/v1", moderation_url=moderation_server.base_url)
    _, secret = token_create(project=project, name="ci", user=None)

    response = client.post(
        reverse("api_audit_runs", args=[project.slug]), {"suite": suite.name, "endpoint": "candidate"},
        "application/json", headers=bearer(secret),
    )  # fmt: skip

    assert response.status_code == 403
    assert "not open to pipeline tokens" in response.json()["detail"]
    assert not AuditRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "suite: This field is required."),
        ({"suite": "Nope", "endpoint": "candidate"}, "No suite named 'Nope'"),
        ({"suite": "Release gate", "endpoint": "nope"}, "No endpoint named 'nope'"),
        ({"suite": "Release gate", "endpoint": "candidate", "baseline": "candidate"}, "must be another endpoint"),
    ],
)
def test_a_request_to_start_an_audit_that_cannot_be_done_says_why(client, project, moderation_server, body, message):
    suite, _, _ = audit_setup(project, model_url="http://127.0.0.1:9/v1", moderation_url=moderation_server.base_url)
    suite_update(suite=suite, pipeline_may_start=True)
    _, secret = token_create(project=project, name="ci", user=None)

    response = client.post(
        reverse("api_audit_runs", args=[project.slug]), body, "application/json", headers=bearer(secret)
    )

    assert response.status_code == 400
    assert message in response.json()["detail"]


@pytest.mark.django_db
def test_another_projects_token_finds_neither_the_runs_nor_the_suites(client, project, moderation_server):
    suite, endpoint, baseline = audit_setup(
        project, model_url="http://127.0.0.1:9/v1", moderation_url=moderation_server.base_url
    )
    suite_update(suite=suite, pipeline_may_start=True)
    run = finished_run(suite, endpoint, baseline)
    other = ProjectFactory()
    _, other_secret = token_create(project=other, name="ci", user=None)
    headers = bearer(other_secret)

    assert client.get(reverse("api_audit_run", args=[project.slug, run.id]), headers=headers).status_code == 404
    assert client.get(reverse("api_audit_run", args=[other.slug, run.id]), headers=headers).status_code == 404
    start = {"suite": suite.name, "endpoint": "candidate"}
    assert (
        client.post(
            reverse("api_audit_runs", args=[project.slug]), start, "application/json", headers=headers
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("api_audit_runs", args=[other.slug]), start, "application/json", headers=headers
        ).status_code
        == 400
    )
    assert client.get(reverse("api_audit_run", args=[project.slug, run.id])).status_code == 401


@pytest.mark.django_db
def test_the_webhook_form_offers_the_audit_event(project, lead_client):
    page = lead_client.get(reverse("token_list", args=[project.slug])).content.decode()

    assert 'value="audit.completed"' in page
    assert "Model audit completed" in page
