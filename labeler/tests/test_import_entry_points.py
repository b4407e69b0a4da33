"""The two ways in: the lead's upload page and `manage.py import_conversations`."""

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
    assert "1 new conversation(s)" in response.text
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
    assert "2 new conversation(s)" in capsys.readouterr().out


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
