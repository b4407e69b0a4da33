"""No planted value leaves through any export format, pipeline pull or webhook unless a lead chose `keep`."""

import json

import orjson
import pytest
from django.urls import reverse

from exports.formats import CONVERTERS, GROUPED, export_lines
from exports.models import Export, Webhook, WebhookDelivery
from exports.moderation import export_rows
from exports.native import native_rows
from exports.options import ExportOptions
from exports.services import comparisons_for_export, export_create, export_write
from exports.tests.pii_data import corpus_project
from exports.tokens import token_create
from labeler.models import Comparison, Conversation, Project
from privacy.models import PiiPolicy, PiiSpan
from privacy.policy import pii_policy_set
from privacy.tests.corpus import LOOKALIKES, planted_values
from rankings.models import Ranking, Rating, SafeAnswer
from safety.models import ModerationEndpoint, ModerationReview, ModerationVerdict

pytestmark = pytest.mark.django_db(transaction=True)

FORMATS = sorted([*CONVERTERS, *GROUPED])


@pytest.fixture
def corpus(project):
    corpus_project(project)
    judged_and_answered(project)
    return project


def judged_and_answered(project) -> None:
    """Give every comparison what `moderation_feedback`, `redteam_pairs` and `ratings` are made of: reviewed
    verdicts on its prompt and candidates, a safe answer written by echoing the prompt, one picked from a
    candidate, and every ranking's rating of each candidate."""
    ModerationEndpoint.objects.create(project=project, base_url="http://127.0.0.1:9/v1")
    Rating.objects.bulk_create(
        Rating(ranking=ranking, candidate=candidate, attribute="helpfulness", value=2)
        for ranking in Ranking.objects.filter(comparison__project=project)
        for candidate in ranking.comparison.candidates.all()
    )  # fmt: skip
    trainer = Ranking.objects.filter(comparison__project=project).values_list("trainer", flat=True).first()
    for comparison in Comparison.objects.filter(project=project).select_related("prompt_message"):
        first, second, third = comparison.candidates.order_by("sample_index")
        texts = [{"message": comparison.prompt_message}, *({"candidate": c} for c in (first, second, third))]
        for text in texts:
            verdict = ModerationVerdict.objects.create(
                project=project, comparison=comparison, status="checked", flagged=False, **text
            )
            ModerationReview.objects.create(verdict=verdict, trainer_id=trainer, judgement="confirmed")
        written = f"I will not repeat this: {comparison.prompt_message.content}"
        SafeAnswer.objects.create(comparison=comparison, harmful_candidate=first, text=written, author_id=trainer)
        SafeAnswer.objects.create(
            comparison=comparison, harmful_candidate=third, from_candidate=second, text=second.text, author_id=trainer
        )


def exported(project, format: str) -> str:
    rows = export_rows(project=project, comparisons=comparisons_for_export(project=project), format=format)
    return "\n".join(orjson.dumps(line).decode() for line in export_lines(rows, format=format, options=ExportOptions()))


def leaked(text: str) -> list[str]:
    return sorted(value for value in planted_values() if value in text)


@pytest.mark.parametrize("format", FORMATS)
def test_redact_lets_no_planted_value_into_any_format(corpus, format):
    text = exported(corpus, format)
    assert text
    assert leaked(text) == []
    assert "<EMAIL_ADDRESS_1>" in text


@pytest.mark.parametrize("format", FORMATS)
def test_drop_leaves_out_every_row_with_personal_data(corpus, lead, format):
    pii_policy_set(project=corpus, user=lead, policy="drop")
    text = exported(corpus, format)
    assert leaked(text) == []
    assert "<EMAIL_ADDRESS" not in text


def test_keep_lets_the_text_out_as_it_is(corpus, lead):
    pii_policy_set(project=corpus, user=lead, policy="keep")
    assert "maria.garcia@example.org" in exported(corpus, "native")


def test_a_value_keeps_its_placeholder_across_the_texts_of_a_conversation(corpus):
    rows = native_rows(project=corpus, comparisons=comparisons_for_export(project=corpus))
    (row,) = [row for row in rows if row["conversation_id"] == "support-1-0"]
    assert row["prompt"][0]["content"] == "Hi, I'm <PERSON_1>. Please reply to <EMAIL_ADDRESS_1> about my refund."
    noted = next(candidate["text"] for candidate in row["candidates"] if candidate["text"].startswith("Noted"))
    assert noted == "Noted: Hi, I'm <PERSON_1>. Please reply to <EMAIL_ADDRESS_1> about my refund."
    # The prompt, the candidate that repeats it, and the safe answer written by quoting it.
    assert row["pii"] == {"redacted": {"EMAIL_ADDRESS": 3, "PERSON": 3}}
    written = next(answer["text"] for answer in row["safe_answers"] if answer["from_candidate_id"] is None)
    assert written == "I will not repeat this: Hi, I'm <PERSON_1>. Please reply to <EMAIL_ADDRESS_1> about my refund."


def test_a_dismissed_span_stays_and_a_trainers_low_score_span_goes(corpus):
    conversation = Conversation.objects.get(project=corpus, external_id="support-1-0")
    PiiSpan.objects.filter(conversation=conversation, entity_type="PERSON").update(status="dismissed")
    PiiSpan.objects.filter(conversation=conversation, entity_type="EMAIL_ADDRESS").update(score=0.1, status="confirmed")
    rows = native_rows(project=corpus, comparisons=comparisons_for_export(project=corpus))
    (row,) = [row for row in rows if row["conversation_id"] == "support-1-0"]
    assert row["prompt"][0]["content"] == "Hi, I'm Maria Garcia. Please reply to <EMAIL_ADDRESS_1> about my refund."


def test_the_manifest_and_the_webhook_say_what_was_redacted_and_nothing_of_it(corpus, lead, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path
    Webhook.objects.create(
        project=corpus, url="https://hooks.example.com/x", secret="whsec_x", events=["export.finished"]
    )
    export = export_write(export_id=export_create(project=corpus, user=lead, format="trl", options=ExportOptions()).id)
    export.refresh_from_db()
    pii = export.manifest["pii"]
    assert pii["policy"] == "redact"
    assert pii["rows_dropped"] == 0
    assert pii["redacted"]["EMAIL_ADDRESS"] >= 10
    assert set(pii["redacted"]) >= {"CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN", "PERSON", "URL_CREDENTIALS"}
    assert leaked(export.file.open("rb").read().decode()) == []
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.payload["data"]["pii"] == pii
    assert leaked(json.dumps(delivery.payload, ensure_ascii=False)) == []


def test_the_manifest_names_the_lead_who_chose_keep(corpus, lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pii_policy_set(project=corpus, user=lead, policy="keep")
    export = export_write(
        export_id=export_create(project=corpus, user=lead, format="native", options=ExportOptions()).id
    )
    export.refresh_from_db()
    assert export.status == Export.Status.DONE
    assert export.manifest["pii"]["policy"] == "keep"
    assert export.manifest["pii"]["chosen_by"] == lead.username


def test_drop_counts_the_rows_it_left_out(corpus, lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pii_policy_set(project=corpus, user=lead, policy="drop")
    export = export_write(
        export_id=export_create(project=corpus, user=lead, format="native", options=ExportOptions()).id
    )
    export.refresh_from_db()
    assert export.manifest["pii"]["rows_dropped"] == Conversation.objects.filter(project=corpus).count() - len(
        LOOKALIKES
    )
    assert export.row_count == len(LOOKALIKES)


@pytest.mark.parametrize("format", FORMATS)
def test_the_pipeline_api_streams_no_planted_value(client, corpus, lead, format):
    secret = token_create(project=corpus, name="pipeline", user=lead)[1]
    response = client.get(
        reverse("api_comparisons", args=[corpus.slug]),
        {"format": format},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert text
    assert leaked(text) == []


def test_an_export_scans_a_text_the_background_scan_has_not_reached(corpus):
    conversation = Conversation.objects.get(project=corpus, external_id="support-1-0")
    message = conversation.messages.get()
    message.pii_scan.delete()
    message.pii_spans.all().delete()
    assert "maria.garcia@example.org" not in exported(corpus, "trl")
    assert PiiPolicy.objects.filter(project=corpus).count() == 0


def test_names_and_places_can_wait_for_a_trainers_word(corpus, settings):
    settings.RANKLAB_PII_NER_REDACT_THRESHOLD = 1.1

    def first_prompt():
        rows = native_rows(project=corpus, comparisons=comparisons_for_export(project=corpus))
        return next(row for row in rows if row["conversation_id"] == "support-1-0")["prompt"][0]["content"]

    assert first_prompt() == "Hi, I'm Maria Garcia. Please reply to <EMAIL_ADDRESS_1> about my refund."
    conversation = Conversation.objects.get(project=corpus, external_id="support-1-0")
    PiiSpan.objects.filter(conversation=conversation, entity_type="PERSON").update(status="confirmed")
    assert first_prompt() == "Hi, I'm <PERSON_1>. Please reply to <EMAIL_ADDRESS_1> about my refund."


def rationale_of(project, external_id: str) -> str | None:
    project = Project.objects.get(id=project.id)  # as an export reads it: with the policy as now stored
    rows = native_rows(project=project, comparisons=comparisons_for_export(project=project))
    row = next((row for row in rows if row["conversation_id"] == external_id), None)
    return row and row["rankings"][0]["rationale"]


def test_a_rationale_loses_the_personal_data_a_trainer_wrote_into_it(corpus):
    Ranking.objects.filter(comparison__conversation__external_id="support-1-0").update(
        rationale="B repeats Maria Garcia's address; her other one is maria@private.example.com, call +1 415-555-0199."
    )
    assert rationale_of(corpus, "support-1-0") == (
        "B repeats <PERSON_1>'s address; her other one is <EMAIL_ADDRESS_2>, call <PHONE_NUMBER_1>."
    )


def test_a_rationale_with_personal_data_takes_its_row_out_under_drop(corpus, lead):
    haiku = Conversation.objects.get(project=corpus, external_id__startswith="lookalike-9-").external_id
    Ranking.objects.filter(comparison__conversation__external_id=haiku).update(
        rationale="Reminds me of what I wrote to ann.lee@example.com last week."
    )
    assert rationale_of(corpus, haiku) == "Reminds me of what I wrote to <EMAIL_ADDRESS_1> last week."
    pii_policy_set(project=corpus, user=lead, policy="drop")
    assert rationale_of(corpus, haiku) is None
    pii_policy_set(project=corpus, user=lead, policy="keep")
    assert "ann.lee@example.com" in rationale_of(corpus, haiku)
