"""The export form: date pickers for the date filters, and a link to the formats' documentation,
rendered in the app."""

import pytest
from django.urls import reverse

from exports.views import ExportForm

pytestmark = pytest.mark.django_db


def test_the_date_filters_are_date_inputs(lead_client, project):
    html = lead_client.get(reverse("export_list", args=[project.slug])).text
    for name in ("completed_after", "completed_before"):
        assert f'type="date" name="{name}"' in html, name


def test_a_date_from_the_picker_is_accepted(lead_client, project, django_capture_on_commit_callbacks):
    # The form as a browser submits it untouched: every default filled in, unticked boxes left out.
    initial = {name: field.initial for name, field in ExportForm().fields.items()}
    defaults = {name: value for name, value in initial.items() if value is not None and value is not False}
    data = {**defaults, "format": "native", "completed_after": "2026-01-31"}
    with django_capture_on_commit_callbacks(execute=False):
        response = lead_client.post(reverse("export_list", args=[project.slug]), data)
    assert response.status_code == 302, response.context["form"].errors
    assert project.exports.get().options["filters"]["completed_after"] == "2026-01-31"


def test_the_form_links_the_formats_page_which_renders_the_document(lead_client, project):
    url = reverse("export_formats", args=[project.slug])
    assert f'href="{url}"' in lead_client.get(reverse("export_list", args=[project.slug])).text
    html = lead_client.get(url).text
    assert "<h1>Export formats</h1>" in html and "<table>" in html
    assert "best_vs_rest" in html and "docs/export-formats.md" not in html.split("<article", 1)[0]


def test_another_projects_lead_gets_404_on_the_formats_page(outsider_client, project):
    assert outsider_client.get(reverse("export_formats", args=[project.slug])).status_code == 404
