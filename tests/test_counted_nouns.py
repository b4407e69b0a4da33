"""Messages count things in proper English: "1 problem", "2 problems", never "problem(s)"."""

import pytest
from django.urls import reverse

from labeler.importing import ImportFailed, ImportResult
from labeler.tests.factories import ModelEndpointFactory
from ranklab.text import counted


def test_one_is_singular_and_every_other_count_plural():
    assert [counted(n, "problem") for n in (0, 1, 2)] == ["0 problems", "1 problem", "2 problems"]
    assert counted(2, "entry", "entries") == "2 entries"


def test_a_failed_import_counts_its_problems():
    message = "The file was not imported: 1 problem. Nothing was written."
    assert str(ImportFailed([object()], truncated=False)) == message
    assert ": 3 problems (and more" in str(ImportFailed([object()] * 3, truncated=True))


def test_an_import_summary_counts_its_conversations():
    assert ImportResult(created=1, already_present=0, ready=1, pending=0).summary.startswith("1 new conversation (")
    assert ImportResult(created=2, already_present=0, ready=2, pending=0).summary.startswith("2 new conversations (")


@pytest.mark.django_db
def test_the_sampling_status_says_one_candidate(lead_client, project):
    ModelEndpointFactory(project=project, share=1, base_url="http://127.0.0.1:9/v1")
    html = lead_client.get(reverse("project_sampling_status", args=[project.slug])).text
    assert "supply 1 candidate, but each comparison needs" in html
