"""A webhook's signing secret is shown once, when it is added, like a token's."""

import pytest
from django.urls import reverse

from exports.models import Webhook

pytestmark = pytest.mark.django_db


def test_the_signing_secret_is_shown_on_adding_and_never_again(lead_client, project):
    response = lead_client.post(
        reverse("webhook_add", args=[project.slug]),
        {"url": "https://example.org/hook", "events": ["export.finished"]},
    )
    hook = Webhook.objects.get()
    assert response.status_code == 200
    assert "it will not be shown again" in response.text
    assert f'<pre class="text" id="new-webhook-secret">{hook.secret}</pre>' in response.text

    later = lead_client.get(reverse("token_list", args=[project.slug])).text
    assert hook.secret not in later
    assert f"<code>{hook.secret[:10]}…</code>" in later
    assert "https://example.org/hook" in later


def test_a_refused_webhook_shows_no_secret(lead_client, project):
    response = lead_client.post(reverse("webhook_add", args=[project.slug]), {"url": "https://example.org/hook"})
    assert response.status_code == 302 and not Webhook.objects.exists()
