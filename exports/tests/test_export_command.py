import json

import pytest
from django.core.management import CommandError, call_command

from exports.models import Export
from exports.tests.chat_data import chat_project
from exports.tests.ranked import rank_all

pytestmark = pytest.mark.django_db(transaction=True)


def test_manage_export_writes_the_file_and_prints_its_manifest(project, lead, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path
    project.overlap = 1
    project.save(update_fields=["overlap"])
    rank_all(project, comparisons=3, trainers=1)
    call_command("export", project.slug, "--format", "trl", "--margin", "--min-rankings", "1", "--user", lead.username)
    manifest = json.loads(capsys.readouterr().out)
    export = Export.objects.get()
    assert manifest == export.manifest
    assert manifest["row_count"] == 3 * 5 and manifest["created_by"] == lead.username
    assert manifest["options"]["filters"] == {"min_rankings": 1, "exclude_flag_mode": "any"}
    assert all("margin" in json.loads(line) for line in export.file.open("rb").read().splitlines())


def test_manage_export_applies_filters_and_names_a_missing_project(project, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path
    project.overlap = 1
    project.save(update_fields=["overlap"])
    rank_all(project, comparisons=2, trainers=1)
    call_command("export", project.slug, "--format", "native", "--exclude-flag", "untruthful")
    assert json.loads(capsys.readouterr().out)["row_count"] == 0
    with pytest.raises(CommandError, match="no project"):
        call_command("export", "nope")


def test_manage_export_writes_a_chat_projects_trees_under_the_current_schema(project, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path
    chat_project(project)
    call_command("export", project.slug, "--format", "tree")
    manifest = json.loads(capsys.readouterr().out)
    assert (manifest["row_count"], manifest["comparisons"], manifest["schema_version"]) == (1, 4, 3)
