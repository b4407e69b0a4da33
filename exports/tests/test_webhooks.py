"""Webhooks reach a real local receiver, signed, and are retried until accepted."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from standardwebhooks.webhooks import Webhook as Verifier

from exports.models import Webhook, WebhookDelivery
from exports.options import ExportOptions
from exports.services import export_create
from exports.tests.ranked import rank_all
from exports.webhooks import webhook_create

pytestmark = pytest.mark.django_db(transaction=True)


class Receiver:
    """An HTTP server on 127.0.0.1 that fails the first `failures` requests, then accepts."""

    def __init__(self, failures: int = 0) -> None:
        self.failures, self.received = failures, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(500 if len(receiver.received) <= receiver.failures else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    made = []

    def make(failures=0):
        made.append(Receiver(failures))
        return made[-1]

    yield make
    for server in made:
        server.close()


def test_a_completed_comparison_is_announced_with_a_valid_signature(project, celery_worker, receiver):
    target = receiver()
    hook = webhook_create(project=project, url=target.url, events=["comparison.completed"])
    project.overlap = 1
    project.save(update_fields=["overlap"])
    rank_all(project, comparisons=1, trainers=1)

    celery_worker.wait_for(lambda: len(target.received) == 1, message="no webhook received")
    headers, body = target.received[0]
    payload = Verifier(hook.secret).verify(body, headers)
    assert payload["type"] == "comparison.completed"
    assert payload["data"]["comparison_id"]
    celery_worker.wait_for(lambda: WebhookDelivery.objects.get().status == "delivered")


def test_a_receiver_that_fails_twice_gets_the_message_on_the_third_try(project, lead, celery_worker, receiver):
    target = receiver(failures=2)
    webhook_create(project=project, url=target.url, events=["export.finished"])
    export_create(project=project, user=lead, format="native", options=ExportOptions())

    celery_worker.wait_for(lambda: WebhookDelivery.objects.filter(status="delivered").exists(), timeout=90)
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 3
    assert delivery.response_code == 204
    assert len({headers["webhook-id"] for headers, _ in target.received}) == 1  # the same message each time


def test_a_lead_adds_a_webhook_and_sees_the_log(client, project, lead):
    client.force_login(lead)
    client.post(
        reverse("webhook_add", args=[project.slug]),
        {"url": "https://example.org/hook", "events": ["export.finished", "comparison.completed"]},
    )
    hook = Webhook.objects.get()
    assert hook.secret.startswith("whsec_")
    page = client.get(reverse("token_list", args=[project.slug]))
    assert "https://example.org/hook" in page.text
    assert f"<title>API &amp; webhooks · {project.name} · RankLab</title>" in page.text
    client.post(reverse("webhook_remove", args=[project.slug, hook.id]))
    hook.refresh_from_db()
    assert not hook.is_active


def test_a_webhook_url_must_be_http(project):
    from ranklab.errors import RankLabError

    with pytest.raises(RankLabError):
        webhook_create(project=project, url="file:///etc/passwd", events=["export.finished"])


@pytest.mark.parametrize("who", ["trainer", "outsider"])
def test_only_leads_manage_webhooks(client, project, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(reverse("webhook_add", args=[project.slug]), {"url": "https://x.org"}).status_code == 404
    hook = webhook_create(project=project, url="https://example.org/h", events=["export.finished"])
    assert client.post(reverse("webhook_remove", args=[project.slug, hook.id])).status_code == 404
