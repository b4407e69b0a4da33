import pytest

from labeler.importing import conversations_import
from labeler.tests.factories import ProjectFactory
from labeler.tests.importing import jsonl, rows_written

pytestmark = pytest.mark.django_db


def test_reimporting_the_same_ids_creates_nothing_and_says_so(project):
    records = [{"id": f"c{n}", "prompt": f"Question {n}"} for n in range(5)]
    conversations_import(project=project, source=jsonl(*records))
    before = rows_written()

    result = conversations_import(project=project, source=jsonl(*records))

    assert rows_written() == before
    assert (result.created, result.already_present) == (0, 5)
    assert "5 already imported, left unchanged" in result.summary


def test_a_file_with_some_new_ids_adds_only_those(project):
    conversations_import(project=project, source=jsonl({"id": "a", "prompt": "x"}))
    result = conversations_import(project=project, source=jsonl({"id": "a", "prompt": "x"}, {"id": "b", "prompt": "y"}))
    assert (result.created, result.already_present) == (1, 1)


def test_the_same_id_in_another_project_is_another_conversation(project):
    conversations_import(project=project, source=jsonl({"id": "a", "prompt": "x"}))
    assert conversations_import(project=ProjectFactory(), source=jsonl({"id": "a", "prompt": "x"})).created == 1
