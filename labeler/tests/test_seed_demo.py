"""The demo seed tells where to log in: the port `make run` actually serves on."""

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_it_prints_the_port_the_app_is_served_on(settings):
    settings.RANKLAB_WEB_PORT = 8765
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Log in at http://127.0.0.1:8765/ as:" in out.getvalue()
    assert ":8000" not in out.getvalue()
