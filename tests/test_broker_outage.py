"""A broker that goes away mid-request loses the message, never the commit or the request.

The broker is a redis-server of the test's own, killed before the request: every on-commit
enqueue (import, export, webhook, recompute) meets a refused connection, as in an outage.
"""

import logging

import pytest
from celery import current_app as app
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exports.models import Export, Webhook, WebhookDelivery
from exports.webhooks import webhook_create
from labeler.models import Comparison
from ranklab.health import broker_reachable_forget

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker_gone(own_redis):
    """The app's broker on `own_redis`, which answered once and is now killed."""
    saved = app.conf.broker_url
    app.conf.broker_url = own_redis.url
    app._pool, app.amqp._producer_pool = None, None
    own_redis.kill()
    yield own_redis
    app.conf.broker_url = saved
    app._pool, app.amqp._producer_pool = None, None
    broker_reachable_forget()


def test_an_import_while_the_broker_is_down_commits_and_logs_the_lost_message(
    lead_client, project, broker_gone, caplog
):
    upload = SimpleUploadedFile("prompts.jsonl", b'{"id": "a", "prompt": "x"}\n{"id": "b", "prompt": "y"}\n')
    with caplog.at_level(logging.ERROR, logger="ranklab.background"):
        response = lead_client.post(reverse("project_import", args=[project.slug]), {"file": upload}, follow=True)
    assert response.status_code == 200
    assert "2 new conversations" in response.text
    assert Comparison.objects.filter(project=project, status=Comparison.Status.PENDING).count() == 2
    assert "labeler.tasks.sample_pending" in caplog.text


def test_an_export_asked_while_the_broker_is_down_is_queued_and_logged(lead_client, project, broker_gone, caplog):
    with caplog.at_level(logging.ERROR, logger="ranklab.background"):
        response = lead_client.post(
            reverse("export_list", args=[project.slug]),
            {"format": "sft", "expansion": "consensus", "min_rankings": 1, "exclude_flag_mode": "any"},
        )
    assert response.status_code == 302
    assert Export.objects.filter(project=project, status=Export.Status.QUEUED).count() == 1
    assert "exports.tasks.export_run" in caplog.text


def test_a_webhook_event_while_the_broker_is_down_records_its_delivery_and_logs(project, broker_gone, caplog):
    from exports.webhooks import webhooks_notify

    webhook_create(project=project, url="https://receiver.example/hook", events=[Webhook.Event.EXPORT_FINISHED])
    with caplog.at_level(logging.ERROR, logger="ranklab.background"):
        webhooks_notify(project_id=project.id, event=Webhook.Event.EXPORT_FINISHED, payload={"export_id": 1})
    assert WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).count() == 1
    assert "exports.tasks.webhook_deliver" in caplog.text


def test_pages_say_background_work_is_paused_while_the_broker_is_down(lead_client, project, broker_gone):
    broker_reachable_forget()
    response = lead_client.get(reverse("project_detail", args=[project.slug]))
    assert response.status_code == 200
    assert "Background work is paused" in response.text
    broker_gone.start()
    broker_reachable_forget()
    assert "Background work is paused" not in lead_client.get(reverse("project_detail", args=[project.slug])).text
