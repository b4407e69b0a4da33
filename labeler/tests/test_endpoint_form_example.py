"""The endpoint form's example URL is the embedded model server's configured address."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_example_base_url_follows_the_embedded_models_host_and_port(lead_client, project, settings):
    settings.RANKLAB_MODEL_HOST, settings.RANKLAB_MODEL_PORT = "127.0.0.1", 9123
    html = lead_client.get(reverse("endpoint_create", args=[project.slug])).text
    assert "http://127.0.0.1:9123/v1" in html
    assert ":8001" not in html
