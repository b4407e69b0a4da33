"""Webhooks: a lead's URLs told when an export finishes or a comparison completes.

Messages are signed in the Standard Webhooks format (`webhook-id`, `webhook-timestamp`,
`webhook-signature`), recorded as deliveries, and sent from Celery with retries; the
`webhook-id` stays the same across retries so receivers can drop duplicates.
"""

import base64
import json
import secrets
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime

from django.utils import timezone
from standardwebhooks.webhooks import Webhook as Signer

from exports.models import Webhook, WebhookDelivery
from labeler.models import Comparison, Project
from ranklab.background import enqueue_after_commit
from ranklab.errors import RankLabError

TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The receiver did not accept the message; the task retries."""


def webhook_create(*, project: Project, url: str, events: list[str]) -> Webhook:
    if not url.startswith(("http://", "https://")):
        raise RankLabError("A webhook URL must start with http:// or https://.")
    unknown = set(events) - set(Webhook.Event.values)
    if unknown or not events:
        raise RankLabError("Choose at least one event.")
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    return Webhook.objects.create(project=project, url=url, secret=secret, events=sorted(set(events)))


def webhooks_notify(*, project_id: int, event: str, payload: dict) -> None:
    """Record a delivery for every webhook of the project that wants `event`; sent after commit."""
    hooks = [hook for hook in Webhook.objects.filter(project_id=project_id, is_active=True) if event in hook.events]
    for hook in hooks:
        delivery = WebhookDelivery.objects.create(
            webhook=hook,
            msg_id=f"msg_{uuid.uuid4().hex}",
            event=event,
            payload={"type": event, "timestamp": timezone.now().isoformat(), "data": payload},
        )
        enqueue_after_commit("exports.tasks.webhook_deliver", delivery.id)


def on_comparison_completed(*, comparison: Comparison, **_) -> None:
    webhooks_notify(
        project_id=comparison.project_id,
        event=Webhook.Event.COMPARISON_COMPLETED,
        payload={"comparison_id": comparison.id, "completed_at": comparison.completed_at.isoformat()},
    )


def delivery_send(*, delivery_id: int) -> bool:
    """Send one delivery once; True when the receiver accepted it (2xx)."""
    delivery = WebhookDelivery.objects.select_related("webhook").get(id=delivery_id)
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        return True
    body = json.dumps(delivery.payload, separators=(",", ":"))
    sent_at = datetime.now(tz=UTC)
    signature = Signer(delivery.webhook.secret).sign(delivery.msg_id, sent_at, body)
    request = urllib.request.Request(  # noqa: S310 (webhook_create admits only http and https)
        delivery.webhook.url,
        data=body.encode(),
        method="POST",
        headers={
            "content-type": "application/json",
            "webhook-id": delivery.msg_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
            "user-agent": "RankLab-Webhooks/1",
        },
    )
    code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http/https only)
            code = response.status
    except urllib.error.HTTPError as failure:
        code, error = failure.code, f"HTTP {failure.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as failure:
        error = str(getattr(failure, "reason", failure))
    accepted = code is not None and 200 <= code < 300
    WebhookDelivery.objects.filter(id=delivery.id).update(
        attempts=delivery.attempts + 1,
        response_code=code,
        last_error=error[:2000],
        status=WebhookDelivery.Status.DELIVERED if accepted else delivery.status,
        delivered_at=timezone.now() if accepted else None,
    )
    return accepted


def delivery_give_up(*, delivery_id: int) -> None:
    WebhookDelivery.objects.filter(id=delivery_id).exclude(status=WebhookDelivery.Status.DELIVERED).update(
        status=WebhookDelivery.Status.FAILED
    )
