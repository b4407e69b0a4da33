"""Password reset by mail, through Django's own views: the link is mailed, works once, and the
login page offers it; the login throttle still holds."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from labeler.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW = "another long pass-phrase"


def test_the_login_page_offers_a_reset(client):
    assert f'href="{reverse("password_reset")}"' in client.get(reverse("login")).text


def test_a_user_resets_their_password_through_the_mailed_link(client):
    user = UserFactory(email="ana@example.org")
    response = client.post(reverse("password_reset"), {"email": "ana@example.org"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.org"]
    link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.text
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done.url == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW)
    again = client.get(link, follow=True)
    assert "This link cannot be used" in again.text


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_the_password_rules_apply_to_the_new_password(client):
    UserFactory(email="ana@example.org")
    client.post(reverse("password_reset"), {"email": "ana@example.org"})
    link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    response = client.post(form.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200 and "This password is too common." in response.text
