"""Every page links an icon, and /favicon.ico, which browsers ask for anyway, leads to it."""

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_favicon_ico_redirects_to_the_icon_for_anyone(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response.url == static("favicon.svg")
    assert finders.find("favicon.svg")


def test_pages_link_the_icon(client, lead_client, project):
    for response in (client.get(reverse("login")), lead_client.get(reverse("project_detail", args=[project.slug]))):
        assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in response.text
