"""Ratings leave in native rows, and as the `ratings` format: HelpSteer2's shape, loaded by `datasets`."""

import json

import pytest

from exports.formats import FORMATS, export_lines
from exports.moderation import export_rows
from exports.options import ExportOptions
from exports.services import comparisons_for_export
from exports.tests.ranked import docs_project
from exports.tests.ratings_data import RATED_CONVERSATION, RATINGS, rated_project
from exports.tests.test_trl_client import export_files
from labeler.models import Candidate
from labeler.rubric import HELPSTEER2_RUBRIC

pytestmark = pytest.mark.django_db(transaction=True)

KEYS = [attribute["key"] for attribute in HELPSTEER2_RUBRIC]


def lines(project, format: str) -> list[dict]:
    rows = export_rows(project=project, comparisons=comparisons_for_export(project=project), format=format)
    return list(export_lines(rows, format=format, options=ExportOptions()))


def test_native_rankings_carry_their_ratings_by_candidate_and_attribute(project):
    rated_project(project)
    right, wrong = Candidate.objects.filter(comparison__project=project).order_by("sample_index")
    (row,) = lines(project, "native")
    given = [ranking["ratings"] for ranking in row["rankings"]]
    assert given == [
        {str(right.id): dict(zip(KEYS, good, strict=True)), str(wrong.id): dict(zip(KEYS, bad, strict=True))}
        for good, bad in RATINGS
    ]


def test_a_project_without_ratings_writes_empty_ratings_and_no_ratings_lines(project):
    docs_project(project)
    (row,) = lines(project, "native")
    assert all(ranking["ratings"] == {} for ranking in row["rankings"])
    assert lines(project, "ratings") == []


def test_the_ratings_format_holds_each_attributes_mean_over_trainers(project):
    rated_project(project)
    right, wrong = lines(project, "ratings")
    assert right["prompt"] == RATED_CONVERSATION["messages"][-1]["content"]
    assert (right["response"], wrong["response"]) == tuple(RATED_CONVERSATION["candidates"])
    assert [right[key] for key in KEYS] == [3.5, 4.0, 4.0, 0.5, 0.5]
    assert [wrong[key] for key in KEYS] == [0.5, 0.0, 3.5, 1.0, 2.0]
    assert right["raters"] == wrong["raters"] == 2
    assert right["conversation"] == RATED_CONVERSATION["messages"]


def test_every_ratings_line_has_a_column_per_rubric_attribute_in_order_even_where_nobody_rated_it(project):
    rated_project(project)
    safety = {"key": "safety", "label": "Safety", "min": 0, "max": 4, "required": False, "guidance": ""}
    project.rubric = [safety, *project.rubric]
    project.save(update_fields=["rubric"])
    for line in lines(project, "ratings"):
        assert list(line)[2:8] == ["safety", *KEYS]
        assert line["safety"] is None


def test_the_ratings_format_is_listed_wherever_formats_are(project, lead, client):
    assert "ratings" in FORMATS
    client.force_login(lead)
    page = client.get(f"/p/{project.slug}/exports/").content.decode()
    assert 'value="ratings"' in page
    schema = client.get("/api/schema/").content.decode()
    assert "ratings" in schema


@pytest.mark.slow
def test_ratings_lines_load_with_datasets_as_helpsteer2_columns(project, settings, tmp_path, monkeypatch):
    from datasets import load_dataset

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    settings.MEDIA_ROOT = tmp_path
    rated_project(project)
    files = export_files(project, ("ratings",))
    loaded = load_dataset("json", data_files=files["ratings"], split="train")
    assert loaded.num_rows == 2
    assert {"prompt", "response", *KEYS, "raters"} <= set(loaded.column_names)
    assert loaded["helpfulness"] == [3.5, 0.5]
    with open(files["ratings"]) as file:
        assert [json.loads(line)["response"] for line in file] == RATED_CONVERSATION["candidates"]
