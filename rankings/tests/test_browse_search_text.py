"""The search texts that PostgreSQL's triggers keep for the data browser follow every write of a
candidate, a message or a comparison."""

import pytest

from labeler.models import Candidate, Comparison, Message
from labeler.tests.factories import CandidateFactory, ComparisonFactory, MessageFactory
from rankings.browse import comparisons_browse
from rankings.models import ComparisonText

pytestmark = pytest.mark.django_db


def found(project, text: str) -> set[int]:
    return set(comparisons_browse(project=project, filters={"q": text}).values_list("id", flat=True))


def test_a_candidate_is_found_as_written_then_as_rewritten_and_not_once_deleted(project):
    comparison = ComparisonFactory(project=project)
    candidate = CandidateFactory(comparison=comparison, text="A lighthouse keeper")
    assert found(project, "lighthouse") == {comparison.id}

    Candidate.objects.filter(id=candidate.id).update(text="A windmill")
    assert found(project, "lighthouse") == set()
    assert found(project, "windmill") == {comparison.id}

    candidate_id = candidate.id
    candidate.delete()
    assert found(project, "windmill") == set()
    assert not ComparisonText.objects.filter(candidate_id=candidate_id).exists()


def test_a_message_is_found_for_every_comparison_of_its_conversation(project):
    first = ComparisonFactory(project=project)
    second = ComparisonFactory(project=project, conversation=first.conversation)
    assert found(project, first.prompt_message.content.split()[0]) >= {first.id, second.id}

    later = MessageFactory(conversation=first.conversation, content="Tell me about glaciers.")
    assert found(project, "glaciers") == {first.id, second.id}

    # A comparison made after the message finds it too, as a copy of its siblings' vector.
    third = ComparisonFactory(project=project, conversation=first.conversation, prompt_message=later)
    assert found(project, "glaciers") == {first.id, second.id, third.id}

    Message.objects.filter(id=later.id).update(content="Tell me about volcanoes.")
    assert found(project, "glaciers") == set()
    assert found(project, "volcanoes") == {first.id, second.id, third.id}


def test_a_comparison_moved_to_another_conversation_takes_that_conversations_messages(project):
    comparison = ComparisonFactory(project=project)
    elsewhere = MessageFactory(conversation__project=project, content="Where do penguins live?")
    assert found(project, "penguins") == set()

    Comparison.objects.filter(id=comparison.id).update(conversation=elsewhere.conversation)
    assert found(project, "penguins") == {comparison.id}


def test_a_deleted_comparison_leaves_no_text(project):
    comparison = ComparisonFactory(project=project)
    CandidateFactory(comparison=comparison, text="An orchard in spring")
    comparison_id = comparison.id
    comparison.delete()
    assert not ComparisonText.objects.filter(comparison_id=comparison_id).exists()


def test_rewriting_other_fields_leaves_the_texts_alone(project):
    candidate = CandidateFactory(comparison=ComparisonFactory(project=project), text="A quiet harbour")
    row = ComparisonText.objects.get(candidate=candidate)
    Candidate.objects.filter(id=candidate.id).update(text="A quiet harbour", latency_ms=12)
    assert ComparisonText.objects.get(candidate=candidate).id == row.id
