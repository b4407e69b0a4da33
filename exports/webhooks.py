"""Webhooks: a lead's URLs told when an export finishes, a comparison completes or a model audit completes.

Messages are signed in the Standard Webhooks format (`webhook-id`, `webhook-timestamp`,
`webhook-signature`), recorded as deliveries, and sent from Celery with retries; the
`webhook-id` stays the same across retries so receivers can drop duplicates.
"""

import base64
import json
import logging
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
from ranklab.outbound import OutboundRefused, outbound_url_check
from safety.audits import audit_run_summary
from safety.models import AuditRun

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The receiver did not accept the message; the task retries."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: following it could lead past the outbound policy."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def webhook_create(*, project: Project, url: str, events: list[str]) -> Webhook:
    if not url.startswith(("http://", "https://")):
        raise RankLabError("A webhook URL must start with http:// or https://.")
    outbound_url_check(url, what="The webhook URL")
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


def on_audit_completed(*, run: AuditRun, **_) -> None:
    webhooks_notify(
        project_id=run.suite.project_id, event=Webhook.Event.AUDIT_COMPLETED, payload=audit_run_summary(run=run)
    )


def delivery_send(*, delivery_id: int) -> bool:
    """Send one delivery once; True when nothing is left to send: the receiver accepted it
    (2xx), or the outbound policy refuses its URL (the delivery is marked failed)."""
    delivery = WebhookDelivery.objects.select_related("webhook").get(id=delivery_id)
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        return True
    try:
        outbound_url_check(delivery.webhook.url, what="The webhook URL")
    except OutboundRefused as refused:
        WebhookDelivery.objects.filter(id=delivery.id).update(
            status=WebhookDelivery.Status.FAILED, last_error=str(refused)[:2000]
        )
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
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            code = response.status
    except urllib.error.HTTPError as failure:
        code, error = failure.code, f"HTTP {failure.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as failure:
        # One message for every way of not getting an answer: the details would tell a lead
        # which ports of a host are open.
        logger.info("Webhook delivery %s: %s", delivery.id, getattr(failure, "reason", failure))
        error = "No HTTP answer (no connection, or none within the time limit)."
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
