"""The two ways in: the lead's upload page and `manage.py import_conversations`."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from labeler.models import Comparison
from labeler.tests.importing import rows_written

pytestmark = pytest.mark.django_db


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("prompts.jsonl", content, content_type="application/jsonl")


def test_a_lead_uploads_a_file(lead_client, project):
    url = reverse("project_import", args=[project.slug])
    response = lead_client.post(url, {"file": upload(b'{"id": "a", "prompt": "x"}\n')}, follow=True)
    assert "1 new conversation" in response.text
    assert Comparison.objects.filter(project=project).count() == 1


def test_the_upload_page_lists_every_problem_escaped(lead_client, project):
    url = reverse("project_import", args=[project.slug])
    content = b'{"id": "a", "messages": [{"role": "<b>bot</b>", "content": "x"}]}\n{\n'
    response = lead_client.post(url, {"file": upload(content)})
    assert response.status_code == 400
    assert "line 1, messages[0].role" in response.text
    assert "&lt;b&gt;bot&lt;/b&gt;" in response.text
    assert "line 2" in response.text
    assert rows_written() == 0


@pytest.mark.parametrize("who", ["trainer_client", "outsider_client"])
def test_only_the_projects_leads_may_import(request, project, who):
    client = request.getfixturevalue(who)
    url = reverse("project_import", args=[project.slug])
    assert client.get(url).status_code == 404
    assert client.post(url, {"file": upload(b'{"id": "a", "prompt": "x"}')}).status_code == 404
    assert rows_written() == 0


def test_the_command_imports_and_summarises(project, tmp_path, capsys):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "a", "prompt": "x"}\n{"id": "b", "prompt": "y"}\n')
    call_command("import_conversations", project.slug, str(path))
    assert "2 new conversations" in capsys.readouterr().out


def test_the_command_fails_with_every_problem(project, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "a"}\nnot json\n')
    with pytest.raises(CommandError) as failure:
        call_command("import_conversations", project.slug, str(path))
    assert "line 1" in str(failure.value) and "line 2" in str(failure.value)
    assert rows_written() == 0


def test_the_demo_prompts_import_cleanly(project):
    call_command("import_conversations", project.slug, "labeler/fixtures/demo_prompts.jsonl")
    assert Comparison.objects.filter(project=project).count() == 30


def test_the_page_and_the_command_word_the_empty_file_alike(lead_client, project, tmp_path):
    response = lead_client.post(reverse("project_import", args=[project.slug]), {"file": upload(b"")})
    assert response.status_code == 400
    assert "<strong>file</strong>: holds no conversation" in response.text
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    with pytest.raises(CommandError) as failure:
        call_command("import_conversations", project.slug, str(path))
    assert "file: holds no conversation" in str(failure.value)


MIXED = b'{"id": "a", "prompt": "x"}\n{"prompt": "y"}\nnot json\n{"id": "c", "prompt": "z"}\n'


def test_the_command_skips_invalid_lines_and_writes_the_reject_report(project, tmp_path, capsys):
    path = tmp_path / "p.jsonl"
    path.write_bytes(MIXED)
    call_command("import_conversations", project.slug, str(path), "--skip-invalid")
    out = capsys.readouterr()
    assert "2 new conversations" in out.out
    assert "0 already imported, left unchanged; 2 invalid records skipped." in out.out
    report = [json.loads(line) for line in (tmp_path / "p.jsonl.rejects.jsonl").read_text().splitlines()]
    assert report == [
        {"line": 2, "field": "id", "reason": "is missing", "original": '{"prompt": "y"}'},
        {"line": 3, "field": "", "reason": "invalid JSON: Expecting value (column 1)", "original": "not json"},
    ]
    call_command(
        "import_conversations", project.slug, str(path), "--skip-invalid", "--reject-report", str(tmp_path / "r")
    )
    assert "0 new conversations; 2 already imported, left unchanged; 2 invalid records skipped." in (
        capsys.readouterr().out
    )
    assert len((tmp_path / "r").read_text().splitlines()) == 2


def test_without_the_option_an_invalid_line_still_refuses_the_file(project, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_bytes(MIXED)
    with pytest.raises(CommandError):
        call_command("import_conversations", project.slug, str(path))
    assert rows_written() == 0


def test_a_lead_skips_invalid_records_and_downloads_the_report(lead_client, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    url = reverse("project_import", args=[project.slug])
    response = lead_client.post(url, {"file": upload(MIXED), "skip_invalid": "on"})
    assert response.status_code == 200
    assert "2 new conversations" in response.text and "2 invalid records skipped" in response.text
    assert "<strong>line 2, id</strong>: is missing" in response.text
    [link] = re.findall(r'href="([^"]*/import/rejects/[^"]*)"', response.text)
    download = lead_client.get(link)
    assert download.status_code == 200
    report = [json.loads(line) for line in b"".join(download.streaming_content).splitlines()]
    assert [(reject["line"], reject["original"]) for reject in report] == [(2, '{"prompt": "y"}'), (3, "not json")]
    assert Comparison.objects.filter(project=project).count() == 2


@pytest.mark.parametrize("who", ["trainer_client", "outsider_client"])
def test_only_the_projects_leads_may_download_a_reject_report(request, lead_client, project, settings, tmp_path, who):
    settings.MEDIA_ROOT = tmp_path
    response = lead_client.post(
        reverse("project_import", args=[project.slug]), {"file": upload(MIXED), "skip_invalid": "on"}
    )
    [link] = re.findall(r'href="([^"]*/import/rejects/[^"]*)"', response.text)
    lead_client.logout()
    assert request.getfixturevalue(who).get(link).status_code == 404


def test_an_unknown_report_is_not_found(lead_client, project):
    assert lead_client.get(reverse("project_import_rejects", args=[project.slug, "0" * 32])).status_code == 404
    assert lead_client.get(reverse("project_import_rejects", args=[project.slug, "not-a-key"])).status_code == 404
