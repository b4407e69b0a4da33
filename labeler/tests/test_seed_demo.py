"""The demo seed tells where to log in: the port `make run` actually serves on, and the administrator's login."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_it_prints_the_port_the_app_is_served_on(settings):
    settings.RANKLAB_WEB_PORT = 8765
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Log in at http://127.0.0.1:8765/ as:" in out.getvalue()
    assert ":8000" not in out.getvalue()


def test_it_makes_an_administrator_and_prints_the_login():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    match = re.search(r"admin\s+(\S+) / (\S+)", out.getvalue())
    assert match, out.getvalue()
    admin = get_user_model().objects.get(username=match.group(1))
    assert admin.is_superuser and admin.is_staff and admin.check_password(match.group(2))
    call_command("seed_demo", stdout=io.StringIO())
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
