"""Wrong passwords are throttled on both login pages (django-axes): after the limit, the
username is locked out from that address, the right password included."""

import pytest
from django.conf import settings
from django.urls import reverse

from labeler.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def person():
    return UserFactory(username="dana", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("page", ["login", "admin:login"])
def test_the_right_password_is_refused_after_the_failure_limit(client, person, page):
    url = reverse(page)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, {"username": "dana", "password": "wrong"}).status_code == 200
    assert client.post(url, {"username": "dana", "password": "wrong"}).status_code == 429  # the limit-th
    locked = client.post(url, {"username": "dana", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.text
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count(client, person):
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(url, {"username": "dana", "password": "wrong"})
    assert client.post(url, {"username": "dana", "password": PASSWORD}).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(url, {"username": "dana", "password": "wrong"})
    assert client.post(url, {"username": "dana", "password": PASSWORD}).status_code == 302


def test_a_lockout_of_one_username_leaves_other_users_free_to_log_in(client, person):
    UserFactory(username="eli")
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "dana", "password": "wrong"})
    assert client.post(url, {"username": "eli", "password": PASSWORD}).status_code == 302
