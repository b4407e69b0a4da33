import hashlib
import json

import pytest
from django.urls import reverse

from exports.formats import FORMATS
from exports.models import Export
from exports.moderation import MODERATED
from exports.options import ExportOptions
from exports.services import export_create, export_write
from exports.tests.ranked import rank_all

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ranked(project):
    project.overlap = 2
    project.save(update_fields=["overlap"])
    rank_all(project, comparisons=4, trainers=2)
    return project


def test_a_worker_writes_an_immutable_file_with_its_manifest(ranked, lead, celery_worker):
    export = export_create(project=ranked, user=lead, format="trl", options=ExportOptions(expansion="consensus"))
    celery_worker.wait_for(lambda: Export.objects.get(id=export.id).status == "done", message="export not done")
    export.refresh_from_db()
    content = export.file.open("rb").read()
    assert hashlib.sha256(content).hexdigest() == export.sha256 == export.manifest["sha256"]
    assert len(content.splitlines()) == export.row_count == export.manifest["row_count"] == 4 * 5
    assert export.manifest["created_by"] == lead.username
    assert export.manifest["schema_version"] == 3
    assert export_write(export_id=export.id).sha256 == export.sha256  # a second run changes nothing


def test_each_format_writes_valid_jsonl(ranked, lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    for format in FORMATS:
        export = Export.objects.create(project=ranked, format=format, options={}, created_by=lead)
        export = export_write(export_id=export.id)
        export.refresh_from_db()
        rows = [json.loads(line) for line in export.file.open("rb").read().splitlines()]
        # Nobody red-teamed this project, it has no moderation filter and no rubric: no adversarial pairs,
        # no verdicts, no ratings.
        assert (rows or format in {"redteam_pairs", "ratings", *MODERATED}) and len(rows) == export.row_count, format


def test_a_lead_starts_and_downloads_an_export(client, ranked, lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(lead)
    response = client.post(
        reverse("export_list", args=[ranked.slug]),
        {"format": "sft", "expansion": "consensus", "min_rankings": 1, "exclude_flag_mode": "any"},
    )
    assert response.status_code == 302
    export = Export.objects.get()
    export_write(export_id=export.id)
    page = client.get(reverse("export_list", args=[ranked.slug]))
    assert "Download" in page.text
    download = client.get(reverse("export_download", args=[ranked.slug, export.id]))
    assert download.status_code == 200
    assert len(b"".join(download.streaming_content).splitlines()) == 4


def test_the_manifest_records_what_became_of_none_acceptable_comparisons(ranked, lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    options = ExportOptions(none_acceptable="keep_marked")
    export = Export.objects.create(project=ranked, format="hh", options=options.to_json(), created_by=lead)
    export = export_write(export_id=export.id)
    export.refresh_from_db()
    assert export.manifest["options"]["filters"] == {"none_acceptable": "keep_marked"}
    lines = [json.loads(line) for line in export.file.open("rb").read().splitlines()]
    assert lines and all(line["none_acceptable"] is False for line in lines)


@pytest.mark.parametrize("who", ["trainer", "outsider"])
def test_only_the_projects_leads_see_exports_and_tokens(client, ranked, lead, request, who, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    export = Export.objects.create(project=ranked, format="trl", options={}, created_by=lead)
    export_write(export_id=export.id)
    client.force_login(request.getfixturevalue(who))
    for url in (
        reverse("export_list", args=[ranked.slug]),
        reverse("export_download", args=[ranked.slug, export.id]),
        reverse("token_list", args=[ranked.slug]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("token_revoke", args=[ranked.slug, 1])).status_code == 404


def test_a_lead_creates_a_token_shown_once_and_revokes_it(client, project, lead):
    from exports.models import ApiToken

    client.force_login(lead)
    page = client.post(reverse("token_list", args=[project.slug]), {"name": "nightly"})
    secret = page.context["secret"]
    assert secret.startswith("rlk_") and secret in page.text
    assert secret not in client.get(reverse("token_list", args=[project.slug])).text
    token = ApiToken.objects.get()
    client.post(reverse("token_revoke", args=[project.slug, token.id]))
    token.refresh_from_db()
    assert token.revoked_at is not None
