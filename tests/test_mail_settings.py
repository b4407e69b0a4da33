"""Mail goes to the console unless the environment names a server, as one URL or piece by piece."""

import json

from tests.test_settings import _manage

SHOW = (
    "from django.conf import settings as s; import json; print(json.dumps({k: getattr(s, k, None) for k in "
    "['EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER', 'EMAIL_HOST_PASSWORD', 'EMAIL_USE_TLS', "
    "'EMAIL_USE_SSL', 'DEFAULT_FROM_EMAIL']}))"
)


def mail_settings(**env: str) -> dict:
    result = _manage("shell", "-c", SHOW, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_server_mail_is_printed_on_the_console():
    assert (
        mail_settings(EMAIL_URL="", EMAIL_HOST="")["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    )


def test_an_email_url_configures_smtp_with_starttls():
    found = mail_settings(
        EMAIL_URL="smtp+tls://mailer:s3cret@smtp.example.org:587", DEFAULT_FROM_EMAIL="Team <team@example.org>"
    )
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (found["EMAIL_HOST"], found["EMAIL_PORT"], found["EMAIL_USE_TLS"]) == ("smtp.example.org", 587, True)
    assert (found["EMAIL_HOST_USER"], found["EMAIL_HOST_PASSWORD"]) == ("mailer", "s3cret")
    assert found["DEFAULT_FROM_EMAIL"] == "Team <team@example.org>"


def test_the_server_may_be_given_piece_by_piece():
    found = mail_settings(
        EMAIL_URL="", EMAIL_HOST="mail.example.org", EMAIL_PORT="2525", EMAIL_HOST_USER="me", EMAIL_USE_TLS="no"
    )
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (found["EMAIL_HOST"], found["EMAIL_PORT"], found["EMAIL_HOST_USER"]) == ("mail.example.org", 2525, "me")
    assert found["EMAIL_USE_TLS"] is False
