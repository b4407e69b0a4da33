"""Hostile JSON wherever the app parses it: a clear error that says where, never a 500."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from labeler.tests.importing import rows_written
from rankings.models import Ranking
from rankings.tests.factories import lease, ready_comparisons
from ranklab import untrusted_json

HOSTILE = {
    "nested 5,000 deep": "[" * 5000 + "]" * 5000,
    "nested 100,000 deep in an object": (
        '{"id": "a", "prompt": "x", "metadata": {"m": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    ),
    "a 5,000-digit integer": '{"id": "a", "prompt": "x", "metadata": {"n": ' + "9" * 5000 + "}}",
    "a lone surrogate": '{"id": "a", "prompt": "\\ud800"}',
    "a lone low surrogate in a key": '{"id": "a", "prompt": "x", "metadata": {"\\udc00": 1}}',
    "an infinite number": '{"id": "a", "prompt": "x", "metadata": {"n": 1e999}}',
    "NaN": '{"id": "a", "prompt": "x", "metadata": {"n": NaN}}',
}


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
def test_untrusted_json_refuses_it_as_malformed_json(payload):
    with pytest.raises(json.JSONDecodeError):
        untrusted_json.loads(payload)


def test_untrusted_json_reads_ordinary_json_as_the_standard_parser_does():
    text = '{"a": [1, -2.5, "\\ud83d\\ude00", "[[[{{{", {"b": null, "c": true}], "d": "\\\\ud800"}'
    assert untrusted_json.loads(text) == json.loads(text)


@pytest.mark.django_db
@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
def test_an_import_line_of_it_is_refused_with_its_line_number(lead_client, project, payload):
    content = b'{"id": "fine", "prompt": "hello"}\n' + payload.encode() + b"\n"
    upload = SimpleUploadedFile("prompts.jsonl", content, content_type="application/jsonl")
    response = lead_client.post(reverse("project_import", args=[project.slug]), {"file": upload})
    assert response.status_code == 400
    assert "line 2" in response.text
    assert rows_written() == 0


@pytest.mark.django_db
def test_a_json_array_file_nested_too_deep_is_refused(lead_client, project):
    content = ("[" * 100_000 + "]" * 100_000).encode()
    upload = SimpleUploadedFile("prompts.json", content, content_type="application/json")
    response = lead_client.post(reverse("project_import", args=[project.slug]), {"file": upload})
    assert response.status_code == 400
    assert "nested more than" in response.text


TIERS = {
    "nested 5,000 deep": "[" * 5000 + "]" * 5000,
    "a 5,000-digit id": "[[" + "9" * 5000 + "]]",
    "a lone surrogate": '[["\\ud800"]]',
    "an infinite id": "[[1e999]]",
}


@pytest.mark.django_db
@pytest.mark.parametrize("tiers", TIERS.values(), ids=TIERS.keys())
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "form"])
def test_a_ranking_with_hostile_tiers_is_refused_not_a_500(trainer_client, trainer, project, tiers, htmx):
    ready_comparisons(project, 1)
    assignment = lease(project, trainer)
    headers = {"HX-Request": "true"} if htmx else {}
    response = trainer_client.post(
        reverse("rank_submit", args=[project.slug, assignment.id]), {"tiers": tiers}, headers=headers
    )
    assert response.status_code == 200
    assert "could not be read" in response.text
    assert Ranking.objects.count() == 0
