"""The length filters of pair exports: the ratio bound, the balanced share, the manifest, the API."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from exports.formats import PAIR_FORMATS, export_lines
from exports.length import PairSelection
from exports.models import Export, WebhookDelivery
from exports.moderation import export_rows
from exports.options import ExportOptions
from exports.services import comparisons_for_export, export_check, export_write
from exports.tests.length_data import length_project
from exports.tests.test_formats import row
from exports.tokens import token_create
from exports.webhooks import webhook_create
from labeler.models import Candidate
from ranklab.errors import RankLabError


def answers(line: dict) -> tuple[str, str]:
    return line["chosen"][-1]["content"], line["rejected"][-1]["content"]


def longer_chosen(lines: list[dict]) -> tuple[int, int]:
    """(pairs whose chosen answer is the longer, pairs whose chosen answer is the shorter)."""
    lengths = [(len(chosen), len(rejected)) for chosen, rejected in map(answers, lines)]
    return sum(c > r for c, r in lengths), sum(c < r for c, r in lengths)


def within_one_pair(longer: int, shorter: int, share: float) -> bool:
    return abs(longer - share * (longer + shorter)) <= 1


SIZED = row(
    candidates=[
        {"id": 1, "text": "a" * 10, "endpoint": "a"},
        {"id": 2, "text": "b" * 25, "endpoint": "a"},
        {"id": 3, "text": "c" * 100, "endpoint": "b"},
    ],
    rankings=[{"tiers": [[3], [2], [1]], "flags": {}}],
    consensus=[[3], [2], [1]],
)


def test_the_ratio_is_longer_over_shorter_in_characters_and_an_empty_answer_is_infinitely_shorter():
    selection = PairSelection(ratio_max=2)
    kept = selection.select([("2:1", 4, 2), ("1:2", 2, 4), ("3:1", 3, 1), ("empty", 0, 0), ("one empty", 0, 1)])
    assert kept == ["2:1", "1:2", "empty"]
    assert selection.manifest()["left_out_by_ratio"] == 2
    assert PairSelection(ratio_max=1).select([("東京", len("東京"), len("ab"))]) == ["東京"]


def test_the_ratio_filter_keeps_only_pairs_within_the_bound():
    lines = list(export_lines([SIZED], format="trl", options=ExportOptions(length_ratio_max=4)))
    # 100/25 = 4 and 25/10 = 2.5 stay; 100/10 = 10 goes.
    assert [tuple(map(len, answers(line))) for line in lines] == [(100, 25), (25, 10)]


@pytest.mark.parametrize("format", ["hh", "openai_dpo", "as_imported"])
def test_the_ratio_filter_applies_to_every_pair_format(format):
    everything = list(export_lines([SIZED], format=format, options=ExportOptions()))
    bounded = list(export_lines([SIZED], format=format, options=ExportOptions(length_ratio_max=4)))
    assert (len(everything), len(bounded)) == (3, 2)


def test_the_demonstration_pairs_of_trl_are_filtered_too():
    demonstration = {
        "message_id": 20,
        "parent_id": 13,
        "candidate_id": None,
        "text": "d" * 200,
        "is_demonstration": True,
        "author": "ann-1",
    }
    chat = {**SIZED, "project_kind": "chat", "continuations": [demonstration]}
    lines = list(export_lines([chat], format="trl", options=ExportOptions(length_ratio_max=8)))
    assert [tuple(map(len, answers(line))) for line in lines] == [(100, 25), (25, 10), (200, 25), (200, 100)]


def test_a_pair_of_answers_of_one_length_is_kept_and_not_counted_in_the_share():
    selection = PairSelection(share=0.5)
    assert selection.select([("pair", 3, 3)]) == ["pair"]
    assert selection.manifest()["same_length"] == 1
    assert selection.manifest()["longer_chosen_share"] is None


@pytest.mark.parametrize(("share", "whole"), [(0.5, "shorter"), (0.3, "shorter"), (0.8, "longer")])
def test_balancing_reaches_the_share_within_one_pair_by_leaving_pairs_out(share, whole):
    # Three in four comparisons ranked longest first: every one of their pairs chose the longer answer.
    rows = [SIZED if number % 4 else {**SIZED, "consensus": [[1], [2], [3]]} for number in range(40)]
    options = ExportOptions(longer_chosen_share=share)
    selection = PairSelection.for_options(options)
    lines = list(export_lines(rows, format="trl", options=options, selection=selection))
    longer, shorter = longer_chosen(lines)
    assert within_one_pair(longer, shorter, share)
    # The kind there is too little of is kept whole: only the other one loses pairs.
    assert {"shorter": shorter, "longer": longer}[whole] == {"shorter": 30, "longer": 90}[whole]
    summary = selection.manifest()
    assert (summary["longer_chosen"], summary["shorter_chosen"]) == (longer, shorter)
    assert summary["pairs_read"] == 40 * 3
    assert summary["left_out"] == summary["left_out_by_balance"] == 40 * 3 - len(lines)
    # The same rows give the same lines.
    assert list(export_lines(rows, format="trl", options=options)) == lines


def test_pairs_balanced_as_a_whole_are_all_kept_though_they_come_in_runs():
    shortest_first = {**SIZED, "consensus": [[1], [2], [3]]}
    rows = [SIZED, SIZED, shortest_first, shortest_first] * 5
    selection = PairSelection(share=0.5)
    lines = list(export_lines(rows, format="trl", options=ExportOptions(longer_chosen_share=0.5), selection=selection))
    assert longer_chosen(lines) == (30, 30)
    assert selection.manifest()["left_out"] == 0
    # A held pair comes out later, with its comparison's other held pairs: every line is still there once.
    assert sorted(line["comparison_id"] for line in lines) == [7] * 60


def test_the_length_filters_are_refused_where_no_pairs_are_written():
    for format in ("native", "sft", "kto", "prompt_only", "tree", "moderation_feedback"):
        with pytest.raises(RankLabError, match="applies to the pair formats"):
            export_check(project=None, format=format, options=ExportOptions(longer_chosen_share=0.5))
    assert set(PAIR_FORMATS) == {"trl", "hh", "openai_dpo", "as_imported", "redteam_pairs"}


@pytest.mark.django_db(transaction=True)
def test_the_balanced_export_reaches_its_share_and_its_manifest_says_so(project, lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # 12 comparisons, one in four ranked shortest first: 27 longer-chosen pairs, 9 shorter-chosen.
    length_project(project, longer_wins=[number % 4 != 3 for number in range(12)])
    webhook_create(project=project, url="https://example.org/hook", events=["export.finished"])
    options = ExportOptions(longer_chosen_share=0.5)
    export = Export.objects.create(project=project, format="trl", options=options.to_json(), created_by=lead)
    export_write(export_id=export.id)
    export.refresh_from_db()

    lines = [json.loads(line) for line in export.file.open("rb").read().splitlines()]
    longer, shorter = longer_chosen(lines)
    assert within_one_pair(longer, shorter, 0.5)
    assert shorter == 9  # interleaved as they are, every pair of the rarer kind is kept
    assert export.manifest["options"]["filters"] == {"longer_chosen_share": 0.5}
    assert export.manifest["length"] == {
        "length_ratio_max": None,
        "longer_chosen_share_asked": 0.5,
        "pairs_read": 36,
        "pairs_kept": len(lines),
        "left_out": 36 - len(lines),
        "left_out_by_ratio": 0,
        "left_out_by_balance": 36 - len(lines),
        "longer_chosen": longer,
        "shorter_chosen": shorter,
        "same_length": 0,
        "longer_chosen_share": round(longer / (longer + shorter), 6),
    }
    # The export.finished webhook carries the manifest, and so the same record.
    assert WebhookDelivery.objects.get().payload["data"]["length"] == export.manifest["length"]


@pytest.mark.django_db(transaction=True)
def test_a_ratio_bound_and_a_share_together(project, lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    length_project(project, longer_wins=[True, False, True, True])
    options = ExportOptions(length_ratio_max=2, longer_chosen_share=0.5)
    export = Export.objects.create(project=project, format="hh", options=options.to_json(), created_by=lead)
    export_write(export_id=export.id)
    export.refresh_from_db()
    # The 40/10 pair of each comparison is over the bound; of the rest, 6 chose the longer, 2 the shorter.
    length = export.manifest["length"]
    assert (length["pairs_read"], length["left_out_by_ratio"]) == (12, 4)
    assert length["shorter_chosen"] == 2
    assert within_one_pair(length["longer_chosen"], length["shorter_chosen"], 0.5)
    assert export.row_count == length["pairs_kept"]


@pytest.mark.django_db(transaction=True)
def test_an_export_without_length_filters_has_no_length_in_its_manifest(project, lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    length_project(project, longer_wins=[True])
    export = Export.objects.create(project=project, format="trl", options={}, created_by=lead)
    export_write(export_id=export.id)
    export.refresh_from_db()
    assert "length" not in export.manifest
    assert export.row_count == 3


@pytest.mark.django_db(transaction=True)
def test_a_pull_is_balanced_and_refuses_the_filters_for_a_format_without_pairs(client, project, lead):
    secret = token_create(project=project, name="pipeline", user=lead)[1]
    length_project(project, longer_wins=[number % 3 != 2 for number in range(9)])

    def pull(**params):
        url = reverse("api_comparisons", args=[project.slug])
        return client.get(url, params, headers={"Authorization": f"Bearer {secret}"})

    response = pull(format="trl", longer_chosen_share="0.5", length_ratio_max="4")
    assert response.status_code == 200
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    longer, shorter = longer_chosen(lines)
    assert shorter == 9 and within_one_pair(longer, shorter, 0.5)
    refused = pull(format="sft", longer_chosen_share="0.5")
    assert refused.status_code == 400
    assert "longer_chosen_share applies to the pair formats" in refused.json()["detail"]
    assert "length_ratio_max" in pull(format="trl", length_ratio_max="0.5").json()["detail"]


LENGTH = {"longer_chosen_share": "0.5", "length_ratio_max": "3"}


@pytest.mark.django_db
def test_a_lead_asks_for_a_balanced_export_on_the_form(client, project, lead):
    client.force_login(lead)
    response = client.post(
        reverse("export_list", args=[project.slug]),
        {"format": "trl", "expansion": "consensus", "exclude_flag_mode": "any", "min_rankings": 0, **LENGTH},
    )
    assert response.status_code == 302
    filters = Export.objects.get().options["filters"]
    assert (filters["length_ratio_max"], filters["longer_chosen_share"]) == (3.0, 0.5)
    refused = client.post(
        reverse("export_list", args=[project.slug]),
        {"format": "kto", "expansion": "consensus", "exclude_flag_mode": "any", "min_rankings": 0, **LENGTH},
    )
    assert "applies to the pair formats" in refused.text


@pytest.mark.django_db(transaction=True)
def test_the_export_command_takes_the_length_filters_and_prints_them_in_the_manifest(project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    length_project(project, longer_wins=[True, True, False])
    out = io.StringIO()
    call_command("export", project.slug, "--format", "trl", "--length-ratio-max", "2", stdout=out, stderr=io.StringIO())
    length = json.loads(out.getvalue())["length"]
    assert (length["pairs_read"], length["left_out_by_ratio"], length["pairs_kept"]) == (9, 3, 6)
    with pytest.raises(CommandError, match="applies to the pair formats"):
        call_command("export", project.slug, "--format", "sft", "--longer-chosen-share", "0.5")


@pytest.mark.django_db(transaction=True)
def test_native_rows_carry_what_sampling_did_for_length(project):
    length_project(project, longer_wins=[True])
    record = {"bound": 2.0, "first_chars": 400, "resampled_chars": 40, "kept": "resample"}
    Candidate.objects.filter(comparison__project=project, sample_index=2).update(
        params={
            "length_control": {"instruction": "Answer in about 40 words.", "max_tokens": 80},
            "length_resample": record,
        }
    )
    (row,) = export_rows(project=project, comparisons=comparisons_for_export(project=project), format="native")
    params = {candidate["index"]: candidate["params"] for candidate in row["candidates"]}
    assert params[2]["length_resample"] == record
    assert params[2]["length_control"]["max_tokens"] == 80
