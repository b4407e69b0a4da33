"""Every page carries a Content-Security-Policy that admits scripts from this site's static
files only, and no template holds a script the policy would refuse."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
_JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def script_sources(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return directives["script-src"].split()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT / "templates")))
def test_no_template_holds_inline_script(template):
    text = template.read_text()
    assert not _INLINE_SCRIPT.search(text), "inline <script>"
    assert not _HANDLER.search(text), "inline event handler"
    assert not _JS_URL.search(text), "javascript: URL"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["login", "admin:login", "api_docs"])
def test_public_pages_allow_scripts_from_this_site_only(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert script_sources(response) == ["'self'"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert not _INLINE_SCRIPT.search(response.text)


@pytest.mark.django_db
def test_signed_in_pages_carry_the_policy_and_no_inline_script(lead_client, project):
    for url in (
        reverse("home"),
        reverse("project_detail", args=[project.slug]),
        reverse("endpoint_list", args=[project.slug]),
        reverse("project_dashboard", args=[project.slug]),
        reverse("export_list", args=[project.slug]),
    ):
        response = lead_client.get(url)
        assert response.status_code == 200, url
        assert script_sources(response) == ["'self'"], url
        assert not _INLINE_SCRIPT.search(response.text), url
        assert not _HANDLER.search(response.text), url


@pytest.mark.django_db
def test_the_api_docs_script_is_a_file_of_its_own(client):
    response = client.get(reverse("api_docs") + "?script")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/javascript")
