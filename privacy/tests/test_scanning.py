import pytest

from labeler.models import Candidate, Message
from labeler.tests.factories import ComparisonFactory, ConversationFactory, MessageFactory
from privacy.detection import detect
from privacy.entities import NER_SUGGESTED_SCORE, STORE_FLOOR
from privacy.models import PiiScan, PiiSpan
from privacy.scanning import pii_scan_chunk, pii_scan_project, pii_scan_sweep, value_hash
from privacy.tests.corpus import LOOKALIKES

pytestmark = pytest.mark.django_db


def test_it_finds_an_email_address_and_a_name_where_they_are():
    text = "Write to Maria Garcia at maria.garcia@example.org today."
    (found,) = detect([text])
    assert {(span.entity_type, text[span.start : span.end]) for span in found} == {
        ("PERSON", "Maria Garcia"),
        ("EMAIL_ADDRESS", "maria.garcia@example.org"),
    }


def test_nothing_in_the_look_alikes_is_more_than_a_suggestion(settings):
    floor = min(settings.RANKLAB_PII_REDACT_THRESHOLD, settings.RANKLAB_PII_NER_REDACT_THRESHOLD)
    acting = [[span for span in found if span.score >= floor] for found in detect(LOOKALIKES)]
    assert acting == [[] for _ in LOOKALIKES]


def test_a_place_that_names_a_kind_of_thing_is_a_suggestion_and_one_someone_is_in_a_detection():
    text = "My UK account pays the rent in Leeds."
    (found,) = detect([text])
    assert {(text[span.start : span.end], span.score) for span in found} == {
        ("UK", NER_SUGGESTED_SCORE),
        ("Leeds", 0.85),
    }


def test_names_in_another_language_are_suggestions_but_a_foreign_name_in_english_is_not():
    italian, english = "Il mio codice fiscale è RSSMRA85T10A562S.", "Ship it to Kenji Watanabe, 4-2-8 Shibakoen, Tokyo."
    found_italian, found_english = detect([italian, english])
    assert {(italian[span.start : span.end], span.score) for span in found_italian} == {
        ("Il mio", NER_SUGGESTED_SCORE),
        ("RSSMRA85T10A562S", 1.0),
    }
    assert {(english[span.start : span.end], span.score) for span in found_english} == {
        ("Kenji Watanabe", 0.85),
        ("Tokyo", 0.85),
    }


def test_a_suggestion_is_stored_for_trainers_but_does_not_act_in_an_export(settings):
    assert settings.RANKLAB_PII_NER_REDACT_THRESHOLD > NER_SUGGESTED_SCORE >= STORE_FLOOR


def test_a_password_in_a_url_is_one_span_not_an_email_address():
    text = "Open https://admin:hunter2@db.example.com/console please."
    (found,) = detect([text])
    assert [(span.entity_type, text[span.start : span.end]) for span in found] == [
        ("URL_CREDENTIALS", "https://admin:hunter2@db.example.com/console")
    ]


def test_a_scan_stores_spans_of_messages_and_candidates_once(project):
    comparison = ComparisonFactory(
        project=project, prompt_message__content="My card is 4111 1111 1111 1111, mail ann@example.com"
    )
    Candidate.objects.create(comparison=comparison, sample_index=0, text="Call +1 415-555-0132 now", content_hash="x")

    assert pii_scan_project(project_id=project.id)
    assert pii_scan_project(project_id=project.id)

    spans = PiiSpan.objects.filter(project=project)
    assert sorted(spans.values_list("entity_type", flat=True)) == ["CREDIT_CARD", "EMAIL_ADDRESS", "PHONE_NUMBER"]
    assert all(span.conversation_id == comparison.conversation_id for span in spans)
    assert PiiScan.objects.filter(project=project).count() == 2
    card = spans.get(entity_type="CREDIT_CARD")
    assert comparison.prompt_message.content[card.start : card.end] == "4111 1111 1111 1111"
    assert card.value_hash == value_hash("CREDIT_CARD", "4111-1111-1111-1111")


def test_a_chunk_two_workers_scanned_is_written_by_the_first_only(project):
    message = MessageFactory(conversation=ConversationFactory(project=project), content="ann@example.com")
    again = Message.objects.filter(id=message.id)  # as a second worker read it, before the first wrote

    assert pii_scan_chunk(project_id=project.id) == 1
    pii_scan_chunk(project_id=project.id, messages=again, candidates=Candidate.objects.none())

    assert PiiScan.objects.filter(message=message).count() == 1
    assert PiiSpan.objects.filter(message=message).count() == 1


def test_the_sweep_hands_out_projects_with_unscanned_texts(project):
    MessageFactory(conversation=ConversationFactory(project=project))

    assert pii_scan_sweep() == [project.id]
    pii_scan_project(project_id=project.id)
    assert pii_scan_sweep() == []


def test_a_quoted_sentence_in_another_language_is_judged_apart_from_the_english_around_it():
    text = "Ann Lee asked me this: Das Wetter ist heute schön, wir gehen im Park spazieren."
    (found,) = detect([text])
    assert {(text[span.start : span.end], span.score) for span in found} == {
        ("Ann Lee", 0.85),
        ("Park", NER_SUGGESTED_SCORE),
    }
