"""The `moderation_feedback` export: one line per reviewed verdict, with the text, the filter's
verdict and the trainers' judgements, in files and pipeline pulls alike."""

import json

import pytest
from django.urls import reverse

from exports.formats import export_lines
from exports.moderation import export_rows
from exports.native import annotator_pseudonym
from exports.options import ExportOptions
from exports.services import comparisons_for_export, export_create, export_write
from exports.tests.chat_data import TURNS, chat_project
from exports.tests.moderation_data import moderation_reviewed
from exports.tokens import token_create
from labeler.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat():
    chat = chat_project(ProjectFactory())
    chat.verdicts = moderation_reviewed(chat)
    return chat


def feedback(project, **options) -> list[dict]:
    rows = export_rows(
        project=project, comparisons=comparisons_for_export(project=project), format="moderation_feedback"
    )
    return list(export_lines(rows, format="moderation_feedback", options=ExportOptions(**options)))


def test_each_reviewed_verdict_is_a_line_with_the_filters_and_the_trainers_verdicts(chat):
    lines = feedback(chat.project)

    by_verdict = {line["verdict_id"]: line for line in lines}
    assert set(by_verdict) == {chat.verdicts[name].id for name in ("message", "flagged", "missed")}
    author = annotator_pseudonym(project_id=chat.project.id, user_id=chat.author.id)
    other = annotator_pseudonym(project_id=chat.project.id, user_id=chat.other.id)

    flagged = by_verdict[chat.verdicts["flagged"].id]
    assert flagged["text"] == TURNS["1"][1][0]
    assert (flagged["source"], flagged["candidate_id"], flagged["message_id"]) == (
        "candidate", chat.candidates["1"][0].id, None,
    )  # fmt: skip
    assert flagged["filter"] == {
        "flagged": True,
        "categories": ["violence/graphic"],
        "harm_categories": ["violence"],
        "scores": {"violence/graphic": 0.91},
        "model": "omni-moderation-latest",
    }
    assert flagged["human"] == [
        {"judgement": "false_positive", "category": None, "annotator": author},
        {"judgement": "confirmed", "category": None, "annotator": other},
    ]
    # One of two found it harmful: no majority.
    assert (flagged["human_flagged"], flagged["human_categories"]) == (False, ["violence"])

    missed = by_verdict[chat.verdicts["missed"].id]
    assert (missed["human_flagged"], missed["human_categories"]) == (True, ["harassment"])

    message = by_verdict[chat.verdicts["message"].id]
    assert (message["source"], message["text"]) == ("message", TURNS["1"][0])
    assert message["message_id"] == chat.messages["turn 1"].id
    assert (message["human_flagged"], message["human_categories"]) == (False, [])


def test_the_export_filters_apply_as_to_every_format(chat):
    assert feedback(chat.project, endpoint="another") == [
        line for line in feedback(chat.project) if line["source"] == "message"
    ]
    assert feedback(chat.project, min_rankings=3) == []


def test_other_formats_carry_no_verdicts(chat):
    rows = list(
        export_rows(project=chat.project, comparisons=comparisons_for_export(project=chat.project), format="native")
    )
    assert all("moderation" not in row for row in rows)


@pytest.mark.django_db(transaction=True)
def test_a_file_and_a_pipeline_pull_hold_the_same_lines(chat, client, lead):
    export = export_create(project=chat.project, user=lead, format="moderation_feedback", options=ExportOptions())
    export_write(export_id=export.id)
    export.refresh_from_db()
    from_file = [json.loads(line) for line in export.file.open("rb").read().splitlines()]
    _, secret = token_create(project=chat.project, name="filter team", user=lead)

    response = client.get(
        reverse("api_comparisons", args=[chat.project.slug]),
        {"format": "moderation_feedback"},
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert response.status_code == 200
    pulled = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert len(from_file) == 3 and pulled == from_file
