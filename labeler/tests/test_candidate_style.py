"""Each candidate keeps its text's style (ranklab/answer_style.py), measured when the text is written."""

import importlib
from dataclasses import astuple

import pytest
from django.apps import apps
from django.db import connection

from labeler.importing import conversations_import
from labeler.models import CANDIDATE_STYLE_FIELDS, Candidate
from labeler.tests.factories import CandidateFactory
from labeler.tests.importing import jsonl, user
from ranklab.answer_style import style_of

pytestmark = pytest.mark.django_db

MARKDOWN = "## Answer\n\n- one\n- two\n\n**In short:** yes."


def stored_style(candidate: Candidate) -> tuple:
    return tuple(Candidate.objects.values_list(*CANDIDATE_STYLE_FIELDS).get(id=candidate.id))


def test_a_saved_candidate_keeps_the_style_of_its_text():
    candidate = CandidateFactory(text=MARKDOWN)
    assert stored_style(candidate) == astuple(style_of(MARKDOWN)) == (len(MARKDOWN), 4, 1, 2, 1)


def test_saving_a_new_text_alone_saves_its_style_too():
    candidate = CandidateFactory(text="Plain prose.")
    candidate.text = MARKDOWN
    candidate.save(update_fields=["text"])
    assert stored_style(candidate) == astuple(style_of(MARKDOWN))


def test_imported_candidates_keep_the_style_of_their_texts(project):
    texts = [MARKDOWN, "Plain prose.", "1. first\n2. second"]
    conversations_import(
        project=project, source=jsonl({"id": "c", "messages": [user("Pick one")], "candidates": texts})
    )
    candidates = Candidate.objects.filter(comparison__project=project).order_by("sample_index")
    assert [stored_style(candidate) for candidate in candidates] == [astuple(style_of(text)) for text in texts]


def test_the_migration_measures_the_candidates_stored_without_a_style():
    texts = [MARKDOWN, "Plain prose.", "  3. item"]
    candidates = [CandidateFactory(text=text) for text in texts]
    Candidate.objects.update(**dict.fromkeys(CANDIDATE_STYLE_FIELDS))
    migration = importlib.import_module("labeler.migrations.0015_candidate_style")
    with connection.schema_editor() as editor:
        migration.measure(apps, editor)
    assert [stored_style(candidate) for candidate in candidates] == [astuple(style_of(text)) for text in texts]
