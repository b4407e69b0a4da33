"""Requests made on a lead's behalf go to public addresses only, unless RANKLAB_OUTBOUND_ALLOW
lists the host; the connection test's errors do not tell a host's ports apart."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from exports.models import Webhook, WebhookDelivery
from exports.webhooks import delivery_send, webhook_create, webhooks_notify
from labeler.models import Comparison, ModelEndpoint
from labeler.sampling.endpoints import endpoint_test
from labeler.sampling.sampler import comparison_sample
from labeler.tests.factories import ComparisonFactory, ModelEndpointFactory
from labeler.tests.model_server import free_port
from ranklab.errors import RankLabError
from ranklab.outbound import OutboundRefused, outbound_url_check

ROOT = Path(__file__).resolve().parent.parent

REFUSED = [
    "http://169.254.169.254/latest/meta-data/",
    "http://localhost:6379/",
    "http://127.0.0.1:5432/v1",
    "http://127.1:8001/v1",
    "http://[::1]:8001/v1",
    "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0:8001/v1",
    "http://10.1.2.3/v1",
    "http://172.16.0.5/v1",
    "http://192.168.1.1/v1",
    "http://100.64.0.1/v1",
    "http://[fd00::1]/v1",
    "http://[fe80::1]/v1",
    "gopher://example.com/",
]


@pytest.fixture
def nothing_allowed(settings):
    settings.RANKLAB_OUTBOUND_ALLOW = []
    return settings


@pytest.mark.parametrize("url", REFUSED)
def test_it_refuses_loopback_private_and_link_local_addresses(nothing_allowed, url):
    with pytest.raises(OutboundRefused):
        outbound_url_check(url)


def test_it_lets_public_addresses_through(nothing_allowed):
    outbound_url_check("https://93.184.215.14/v1")
    outbound_url_check("http://[2606:4700::1111]/v1")


def test_an_allowed_entry_opens_only_its_host_or_network_and_port(settings):
    settings.RANKLAB_OUTBOUND_ALLOW = ["127.0.0.1:8001", "10.0.0.0/8", "[::1]:9000"]
    outbound_url_check("http://127.0.0.1:8001/v1")
    outbound_url_check("http://10.20.30.40:1234/v1")
    outbound_url_check("http://[::1]:9000/v1")
    for url in ("http://127.0.0.1:6379/", "http://192.168.0.1/", "http://[::1]:9001/"):
        with pytest.raises(OutboundRefused):
            outbound_url_check(url)


def test_make_runs_embedded_model_is_allowed_by_default_and_nothing_else_local(tmp_path):
    script = (
        "import django; django.setup()\n"
        "from ranklab.outbound import OutboundRefused, outbound_url_check\n"
        "outbound_url_check('http://127.0.0.1:8001/v1')\n"
        "try:\n    outbound_url_check('http://127.0.0.1:6379/')\nexcept OutboundRefused:\n    print('refused')\n"
    )
    keep = {"PATH", "HOME", "LANG"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", RANKLAB_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "refused"


@pytest.mark.django_db
def test_a_lead_cannot_point_an_endpoint_at_the_metadata_service(lead_client, project, nothing_allowed):
    response = lead_client.post(
        reverse("endpoint_create", args=[project.slug]),
        {
            "name": "meta", "base_url": "http://169.254.169.254/v1", "model": "m", "temperature": 1,
            "top_p": 1, "max_tokens": 16, "seed_policy": "none", "base_seed": 0, "share": project.k,
            "max_concurrency": 1, "timeout_seconds": 5, "is_active": "on",
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert "link-local" in response.text
    assert not ModelEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_webhook_to_a_private_address_is_refused(project, nothing_allowed):
    with pytest.raises(RankLabError, match="private"):
        webhook_create(project=project, url="http://10.0.0.7/hook", events=[Webhook.Event.EXPORT_FINISHED])


@pytest.mark.django_db
def test_a_delivery_whose_url_is_no_longer_allowed_fails_without_a_request(project, settings):
    webhook_create(project=project, url="http://127.0.0.1:9/hook", events=[Webhook.Event.EXPORT_FINISHED])
    webhooks_notify(project_id=project.id, event=Webhook.Event.EXPORT_FINISHED, payload={})
    settings.RANKLAB_OUTBOUND_ALLOW = []
    delivery = WebhookDelivery.objects.get()
    assert delivery_send(delivery_id=delivery.id) is True
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 0 and "private" in delivery.last_error


@pytest.mark.django_db
def test_sampling_refuses_an_endpoint_saved_before_its_address_was_disallowed(project, settings):
    ModelEndpointFactory(project=project, base_url="http://127.0.0.1:8001/v1", share=project.k)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)
    settings.RANKLAB_OUTBOUND_ALLOW = []
    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.FAILED
    comparison.refresh_from_db()
    assert "RANKLAB_OUTBOUND_ALLOW" in comparison.failure_reason


@pytest.mark.django_db
def test_the_connection_test_says_the_same_of_a_closed_port_redis_and_postgresql(project):
    ports = {"closed": free_port(), "redis": urlsplit(django_settings.REDIS_URL).port or 6379, "postgresql": 5432}
    messages = {}
    for name, port in ports.items():
        endpoint = ModelEndpointFactory(project=project, base_url=f"http://127.0.0.1:{port}/v1", timeout_seconds=5)
        result = endpoint_test(endpoint=endpoint)
        assert not result.ok
        messages[name] = result.message.replace(endpoint.name, "E").replace(str(port), "P")
    assert len(set(messages.values())) == 1, messages
