"""The AI judge's rankings in exports: left out by default, as rows of their own marked `source`, or
standing in where no trainer ranked; the manifest says which and how many."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from exports.models import Export
from exports.options import ExportOptions
from exports.services import export_check, export_write
from exports.tests.ranked import rank_all
from exports.tokens import token_create
from labeler.models import Comparison
from labeler.tests.factories import ComparisonFactory
from rankings.tests.judge_data import judge_of, judged
from ranklab.errors import RankLabError

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(project, settings, tmp_path):
    """Two comparisons ranked by a trainer (the judge ranked the first), one only the judge ranked, one no one."""
    settings.MEDIA_ROOT = tmp_path
    project.overlap = 1
    project.save(update_fields=["overlap"])
    rank_all(project, comparisons=2, trainers=1)
    judge_of(project)
    first, second = Comparison.objects.filter(project=project).order_by("id")
    ids = list(first.candidates.order_by("-id").values_list("id", flat=True))
    judged(first, [[candidate] for candidate in ids])
    only_judged = ComparisonFactory(project=project, with_candidates=True)
    judged(only_judged, [list(only_judged.candidates.values_list("id", flat=True))])
    ComparisonFactory(project=project, with_candidates=True)
    return {"first": first, "second": second, "only_judged": only_judged, "ids": ids}


def _export(project, lead, format: str, **options) -> tuple[Export, list[dict]]:
    export = Export.objects.create(
        project=project, format=format, options=ExportOptions(**options).to_json(), created_by=lead
    )
    export = export_write(export_id=export.id)
    export.refresh_from_db()
    return export, [json.loads(line) for line in export.file.open("rb").read().splitlines()]


def test_by_default_no_ai_judgement_leaves_and_the_manifest_says_so(project, lead, world):
    export, rows = _export(project, lead, "native")
    assert [row["comparison_id"] for row in rows] == [world["first"].id, world["second"].id]
    assert all("source" not in row for row in rows)
    assert all(ranking["annotator"] != "ai-judge" for row in rows for ranking in row["rankings"])
    assert export.manifest["ai_judgements"] == {"mode": "none"}
    assert "ai_judgements" not in export.manifest["options"]


def test_separate_adds_the_judges_row_after_the_trainers_and_marks_each_source(project, lead, world):
    export, rows = _export(project, lead, "native", ai_judgements="separate")

    first, second = world["first"].id, world["second"].id
    assert [(row["comparison_id"], row["source"]) for row in rows] == [
        (first, "human"), (first, "ai"), (second, "human")
    ]  # fmt: skip
    human, ai = rows[0], rows[1]
    assert human["rankings"][0]["annotator"].startswith("ann-")
    (ranking,) = ai["rankings"]
    assert ranking["annotator"] == "ai-judge" and ranking["source"] == "ai" and ranking["model"] == "judge-model"
    assert ranking["tiers"] == ai["consensus"] == [[candidate] for candidate in world["ids"]]
    assert ranking["swap_consistent"] is True and len(ranking["runs"]) == 2
    assert ai["consensus_method"] == "ai_judge" and ai["agreement"] is None
    assert ai["prompt"] == human["prompt"] and ai["candidates"] == human["candidates"]
    assert human["consensus"] != ai["consensus"]
    assert export.manifest["ai_judgements"] == {"mode": "separate", "ai_rows": 1, "human_rows": 2}
    assert export.manifest["options"]["ai_judgements"] == "separate"


def test_fill_uses_the_judge_only_where_no_trainer_ranked(project, lead, world):
    export, rows = _export(project, lead, "native", ai_judgements="fill")

    assert [(row["comparison_id"], row["source"]) for row in rows] == [
        (world["first"].id, "human"), (world["second"].id, "human"), (world["only_judged"].id, "ai")
    ]  # fmt: skip
    assert rows[2]["rankings"][0]["annotator"] == "ai-judge"
    assert export.manifest["ai_judgements"] == {"mode": "fill", "ai_rows": 1, "human_rows": 2}


def test_pair_lines_carry_the_source_of_their_ranking(project, lead, world):
    _, lines = _export(project, lead, "trl", ai_judgements="separate")
    assert {line["source"] for line in lines} == {"human", "ai"}
    k = project.k
    # Consensus pairs: the trainer's (one tie) on each comparison, and the judge's strict order on the first.
    assert sum(line["source"] == "ai" for line in lines) == k * (k - 1) // 2
    _, plain = _export(project, lead, "trl")
    assert all("source" not in line for line in plain)


def test_the_command_takes_the_option_and_prints_it_in_the_manifest(project, lead, world, capsys):
    call_command("export", project.slug, "--format", "native", "--ai-judgements", "fill", "--user", lead.username)
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["ai_judgements"] == {"mode": "fill", "ai_rows": 1, "human_rows": 2}
    assert manifest["row_count"] == 3


# The pull reads what committed transactions wrote, below the visibility horizon.
@pytest.mark.django_db(transaction=True)
def test_the_pipeline_pulls_the_judges_rows_separately_and_refuses_fill(client, project, lead, world):
    secret = token_create(project=project, name="pipeline", user=lead)[1]
    url = reverse("api_comparisons", args=[project.slug])
    headers = {"Authorization": f"Bearer {secret}"}

    response = client.get(url, {"ai_judgements": "separate"}, headers=headers)
    rows = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert [row["source"] for row in rows] == ["human", "ai", "human"]

    refused = client.get(url, {"ai_judgements": "fill"}, headers=headers)
    assert refused.status_code == 400
    assert "ai_judgements=fill is for export files" in refused.json()["detail"]


def test_the_export_form_stores_the_option(client, project, lead, world):
    client.force_login(lead)
    response = client.post(
        reverse("export_list", args=[project.slug]),
        {
            "format": "native",
            "expansion": "consensus",
            "ai_judgements": "separate",
            "min_rankings": 0,
            "exclude_flag_mode": "any",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert Export.objects.get().options["ai_judgements"] == "separate"


def test_none_is_the_same_as_leaving_the_option_out():
    assert ExportOptions(ai_judgements="none") == ExportOptions()
    assert ExportOptions.from_json(ExportOptions(ai_judgements="fill").to_json()).ai_judgements == "fill"


def test_a_format_that_groups_conversations_refuses_the_option(project):
    with pytest.raises(RankLabError, match="ai_judgements does not apply to tree"):
        export_check(project=project, format="tree", options=ExportOptions(ai_judgements="separate"))
