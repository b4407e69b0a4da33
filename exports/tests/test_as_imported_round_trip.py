"""Each source format imported, ranked as its labels say and exported back to its own shape."""

import io
import json

import pytest

from exports.formats import export_lines
from exports.native import native_rows
from exports.options import ExportOptions
from exports.services import comparisons_for_export
from labeler.conversations import comparison_messages
from labeler.importing import conversations_import
from labeler.models import Candidate, Comparison
from labeler.queue import assignment_lease_next
from rankings.services import Judgement, ranking_submit
from rankings.tests.factories import trainers_of

pytestmark = pytest.mark.django_db

USER = {"role": "user", "content": "What is 2 + 2?"}
SYSTEM = {"role": "system", "content": " Be exact. "}

TRL_STANDARD_EXPLICIT = [
    {"prompt": "The sky is", "chosen": " blue.", "rejected": " green."},
    {"prompt": "Name a prime:  ", "chosen": "7\t", "rejected": "8\r\n"},
]
TRL_STANDARD_IMPLICIT = [
    {"chosen": "The sky is blue.", "rejected": "The sky is green."},
    {"chosen": "Q: 2+2?\nA: 4", "rejected": "Q: 2+2?\nA: 5 "},
]
TRL_CONVERSATIONAL_EXPLICIT = [
    {
        "prompt": [SYSTEM, USER],
        "chosen": [{"role": "assistant", "content": "4"}],
        "rejected": [{"role": "assistant", "content": " five"}],
    },
]
TRL_CONVERSATIONAL_IMPLICIT = [
    {
        "chosen": [USER, {"role": "assistant", "content": "It is 4."}],
        "rejected": [USER, {"role": "assistant", "content": "It is 22."}],
    },
]
SHAREGPT_PREFERENCE = [
    {
        "conversations": [
            {"from": "human", "value": "Hi"},
            {"from": "gpt", "value": "Hello!"},
            {"from": "human", "value": "2+2?"},
        ],
        "system": "You are terse.",
        "chosen": {"from": "gpt", "value": "4"},
        "rejected": {"from": "gpt", "value": "22"},
    },
]


def ranked_by_label(project, records: list[dict], label) -> None:
    """Import the records, then rank each comparison as `label(candidates)` says: (tiers, none acceptable)."""
    project.overlap = 1
    project.save(update_fields=["overlap"])
    source = b"\n".join(json.dumps(record, ensure_ascii=False).encode() for record in records)
    conversations_import(project=project, source=io.BytesIO(source))
    rank_all_by(project, label)


def rank_all_by(project, label) -> None:
    [trainer] = trainers_of(project, 1)
    while (assignment := assignment_lease_next(project=project, trainer=trainer)) is not None:
        candidates = list(Candidate.objects.filter(comparison=assignment.comparison).order_by("sample_index"))
        tiers, none_acceptable = label(candidates)
        judgement = Judgement(tiers=tiers, none_acceptable=none_acceptable, confirmed_display_order=True)
        ranking_submit(trainer=trainer, project=project, assignment_id=assignment.id, judgement=judgement)


def first_over_second(candidates):
    return [[candidates[0].id], [candidates[1].id]], False


def exported(project) -> list[str]:
    rows = native_rows(project=project, comparisons=comparisons_for_export(project=project))
    lines = export_lines(rows, format="as_imported", options=ExportOptions())
    return sorted(json.dumps(line, ensure_ascii=False, sort_keys=True) for line in lines)


def as_sorted(records: list[dict]) -> list[str]:
    return sorted(json.dumps(record, ensure_ascii=False, sort_keys=True) for record in records)


@pytest.mark.parametrize(
    "records",
    [
        TRL_STANDARD_EXPLICIT,
        TRL_STANDARD_IMPLICIT,
        TRL_CONVERSATIONAL_EXPLICIT,
        TRL_CONVERSATIONAL_IMPLICIT,
        SHAREGPT_PREFERENCE,
    ],
    ids=[
        "trl standard",
        "trl standard, implicit prompt",
        "trl conversational",
        "trl conversational, implicit prompt",
        "sharegpt preference",
    ],
)
def test_a_preference_format_goes_back_to_its_own_shape(project, records):
    ranked_by_label(project, records, first_over_second)
    assert Comparison.objects.filter(project=project, status="complete").count() == len(records)
    assert exported(project) == as_sorted(records)


def test_an_implicit_prompt_is_what_chosen_and_rejected_share(project):
    ranked_by_label(project, TRL_STANDARD_IMPLICIT[:1], first_over_second)
    comparison = Comparison.objects.get()
    assert comparison.prompt_message.content == "The sky is"
    assert [c.text for c in comparison.candidates.all()] == [" blue.", " green."]


UNPAIRED = [
    {"prompt": "Say hi", "completion": "Hi!", "label": True},
    {"prompt": "Say hi", "completion": "Go away.", "label": False},
    {"prompt": "Say hi", "completion": " Hello ", "label": True},
    {"prompt": [USER], "completion": [{"role": "assistant", "content": "5"}], "label": False},
    {"prompt": [USER], "completion": [{"role": "assistant", "content": "22"}], "label": False},
]


def by_imported_label(candidates):
    labels = candidates[0].comparison.conversation.metadata["import_format"]["labels"]
    good = [c.id for c, label in zip(candidates, labels, strict=True) if label]
    bad = [c.id for c, label in zip(candidates, labels, strict=True) if not label]
    return [tier for tier in (good, bad) if tier], not good


def test_unpaired_completions_of_one_prompt_are_one_comparison_and_go_back_with_their_labels(project):
    ranked_by_label(project, UNPAIRED, by_imported_label)
    assert sorted(Comparison.objects.values_list("candidates__sample_index", flat=True)) == [0, 0, 1, 1, 2]
    assert exported(project) == as_sorted(UNPAIRED)


def test_a_sharegpt_conversation_ending_with_a_reply_ranks_it_against_a_sampled_one(project):
    record = {
        "id": "sg-1",
        "conversations": [
            {"from": "system", "value": "Be kind."},
            {"from": "human", "value": "Hi"},
            {"from": "gpt", "value": " Hello! "},
        ],
    }
    project.overlap = 1
    project.save(update_fields=["overlap"])
    conversations_import(project=project, source=io.BytesIO(json.dumps(record).encode()))
    comparison = Comparison.objects.get()
    assert comparison.status == Comparison.Status.PENDING
    assert [(c.text, c.source) for c in comparison.candidates.all()] == [(" Hello! ", "import")]
    # What sampling would add, then the imported reply is ranked best.
    Candidate.objects.create(comparison=comparison, sample_index=1, text="Hey.", content_hash="x" * 64)
    Comparison.objects.filter(id=comparison.id).update(status=Comparison.Status.READY)
    rank_all_by(project, first_over_second)
    assert exported(project) == as_sorted([{"conversations": record["conversations"]}])


def oa(message_id, role, text, replies=(), rank=None):
    node = {"message_id": message_id, "role": role, "text": text, "replies": list(replies)}
    if rank is not None:
        node["rank"] = rank
    return node


TREE = {
    "message_tree_id": "tree-1",
    "prompt": oa(
        "p1",
        "prompter",
        "Name a colour. ",
        [
            oa(
                "a1",
                "assistant",
                "Blue",
                [
                    oa(
                        "p2",
                        "prompter",
                        "Another?",
                        [oa("b1", "assistant", "Red", rank=1), oa("b2", "assistant", " Green", rank=0)],
                    )
                ],
                rank=0,
            ),
            oa("a2", "assistant", "No.", rank=1),
        ],
    ),
}


def by_imported_ranking(candidates):
    tiers = candidates[0].comparison.conversation.metadata["import_format"]["imported_ranking"]
    return [[candidates[index].id for index in tier] for tier in tiers], False


def test_an_open_assistant_tree_gives_a_comparison_per_set_of_siblings_ranked_as_imported(project):
    ranked_by_label(project, [TREE], by_imported_ranking)
    comparisons = {c.conversation.external_id: c for c in Comparison.objects.select_related("conversation")}
    assert set(comparisons) == {"tree-1/p1", "tree-1/p2"}
    deeper = comparisons["tree-1/p2"]
    assert [m["content"] for m in comparison_messages(comparison_id=deeper.id)] == [
        "Name a colour. ",
        "Blue",
        "Another?",
    ]
    assert deeper.conversation.metadata["import_format"]["imported_ranking"] == [[1], [0]]
    # One comparison per set of siblings, and one tree again in the export: the one imported.
    assert exported(project) == as_sorted([TREE])
