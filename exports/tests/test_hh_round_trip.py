"""HH transcripts imported, ranked as labelled and exported give back the source byte for byte."""

import io
import json

import pytest

from exports.formats import export_lines, hh_transcript
from exports.native import native_rows
from exports.options import ExportOptions
from exports.services import comparisons_for_export
from labeler.importing import conversations_import
from labeler.models import Candidate
from labeler.queue import assignment_lease_next
from rankings.services import Judgement, ranking_submit
from rankings.tests.factories import trainers_of

pytestmark = pytest.mark.django_db

SPACES = "\n\nHuman:  Hi there  \n\nAssistant:  I enjoy  puzzles.\t\n\nHuman: \tTabs\tinside\r\nand CRLF\r\n"
PAIRS = {
    "spaces": (SPACES + "\n\nAssistant:  Sure – ünïcödé 👩‍👩‍👧 e\u0301 ", SPACES + "\n\nAssistant: "),
    "empty-turn": (
        "\n\nHuman: \n\nAssistant: What do you mean?\n\nHuman: Nothing.\n\nAssistant: Fine.",
        "\n\nHuman: \n\nAssistant: What do you mean?\n\nHuman: Nothing.\n\nAssistant:   ",
    ),
    "preamble": ("Be kind.\n\nHuman: q\n\n\n\nAssistant: a\n\n", "Be kind.\n\nHuman: q\n\n\n\nAssistant: \n\nb"),
    "unicode": (
        "\n\nHuman: שלום \u202eevil\u202c\n\nAssistant: zero\u200bwidth",
        "\n\nHuman: שלום \u202eevil\u202c\n\nAssistant: 🙂",
    ),
}


@pytest.fixture
def ranked_as_labelled(project):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    records = [{"id": key, "chosen": chosen, "rejected": rejected} for key, (chosen, rejected) in PAIRS.items()]
    # CRLF line endings of the file itself are JSON whitespace, not part of any text.
    source = b"\r\n".join(json.dumps(record, ensure_ascii=False).encode() for record in records)
    result = conversations_import(project=project, source=io.BytesIO(source))
    assert result.created == len(PAIRS)
    [trainer] = trainers_of(project, 1)
    while (assignment := assignment_lease_next(project=project, trainer=trainer)) is not None:
        chosen, rejected = Candidate.objects.filter(comparison=assignment.comparison).order_by("sample_index")
        judgement = Judgement(tiers=[[chosen.id], [rejected.id]], confirmed_display_order=True)
        ranking_submit(trainer=trainer, project=project, assignment_id=assignment.id, judgement=judgement)
    return project


def lines(project, format: str) -> list[dict]:
    rows = native_rows(project=project, comparisons=comparisons_for_export(project=project))
    return list(export_lines(rows, format=format, options=ExportOptions()))


def test_the_hh_export_gives_back_each_source_transcript(ranked_as_labelled):
    exported = {line["group_id"]: (line["chosen"], line["rejected"]) for line in lines(ranked_as_labelled, "hh")}
    assert exported == PAIRS
    assert {key: (c.encode(), r.encode()) for key, (c, r) in exported.items()} == {
        key: (c.encode(), r.encode()) for key, (c, r) in PAIRS.items()
    }


def test_the_trl_export_holds_the_source_turns_exactly(ranked_as_labelled):
    exported = {
        line["group_id"]: (
            hh_transcript(line["prompt"] + line["chosen"]),
            hh_transcript(line["prompt"] + line["rejected"]),
        )
        for line in lines(ranked_as_labelled, "trl")
    }
    assert exported == PAIRS


def test_the_native_export_holds_the_source_turns_exactly(ranked_as_labelled):
    exported = {}
    for row in lines(ranked_as_labelled, "native"):
        chosen, rejected = (
            hh_transcript([*row["prompt"], {"role": "assistant", "content": candidate["text"]}])
            for candidate in row["candidates"]
        )
        exported[row["conversation_id"]] = (chosen, rejected)
    assert exported == PAIRS
