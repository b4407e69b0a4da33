"""A lead erases a conversation, by id or by a text in it: preview, confirmation, audit row, files to rebuild."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from exports.options import ExportOptions
from exports.services import export_create, export_write
from exports.tests.pii_data import corpus_project
from labeler.models import Candidate, Comparison, Conversation, Message
from privacy.erasure import erasure_do, erasure_plan
from privacy.models import Erasure, PiiSpan
from rankings.models import ProjectStats, Ranking
from rankings.stats import project_stats_refresh
from ranklab.errors import RankLabError

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "maria.garcia@example.org"


@pytest.fixture
def corpus(project):
    corpus_project(project)
    return project


def test_a_search_previews_every_row_that_would_go_and_the_files_to_rebuild(corpus, lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    export = export_write(export_id=export_create(project=corpus, user=lead, format="trl", options=ExportOptions()).id)

    plan = erasure_plan(project=corpus, search=EMAIL.upper())

    assert sorted(plan.external_ids) == ["support-1-0", "support-1-1"]
    assert plan.counts["labeler.Conversation"] == 2
    assert plan.counts["labeler.Candidate"] == 6
    assert plan.counts["rankings.Ranking"] == 2
    assert plan.counts["privacy.PiiSpan"] >= 4
    assert [held["id"] for held in plan.exports] == [export.id]
    assert Conversation.objects.filter(id__in=plan.conversation_ids).count() == 2  # nothing gone yet


def test_confirming_deletes_everything_derived_and_records_no_text(corpus, lead):
    plan = erasure_plan(project=corpus, search=EMAIL)
    erasure = erasure_do(project=corpus, user=lead, token=plan.token, search=EMAIL)

    assert not Message.objects.filter(content__icontains=EMAIL).exists()
    assert not Candidate.objects.filter(text__icontains=EMAIL).exists()
    assert not Conversation.objects.filter(id__in=plan.conversation_ids).exists()
    assert not Comparison.objects.filter(conversation_id__in=plan.conversation_ids).exists()
    assert not Ranking.objects.filter(comparison__conversation_id__in=plan.conversation_ids).exists()
    assert not PiiSpan.objects.filter(conversation_id__in=plan.conversation_ids).exists()
    (audit,) = Erasure.objects.all()
    assert audit == erasure
    assert (audit.erased_by, audit.found_by, audit.counts) == (lead, "search", plan.counts)
    assert EMAIL not in str(Erasure.objects.values().get())
    assert "support-1" not in str(Erasure.objects.values().get())


def test_a_confirmation_of_another_preview_erases_nothing(corpus, lead):
    stale = erasure_plan(project=corpus, external_id="support-1-0").token
    with pytest.raises(RankLabError, match="changed since the preview"):
        erasure_do(project=corpus, user=lead, token=stale, search=EMAIL)
    assert Conversation.objects.filter(project=corpus, external_id="support-1-0").exists()
    assert not Erasure.objects.exists()


def test_a_short_search_is_refused(corpus):
    with pytest.raises(RankLabError, match="search: give at least 4 characters"):
        erasure_plan(project=corpus, search="ab")


def test_a_lead_previews_and_confirms_on_the_page(client, corpus, lead):
    client.force_login(lead)
    page = client.post(reverse("erasure_preview", args=[corpus.slug]), {"external_id": "support-1-0"})
    assert page.status_code == 200
    assert b"1 conversation would be erased" in page.content
    token = page.context["plan"].token
    done = client.post(reverse("erasure_confirm", args=[corpus.slug]), {"external_id": "support-1-0", "token": token})
    assert done.status_code == 302
    assert not Conversation.objects.filter(project=corpus, external_id="support-1-0").exists()
    settings_page = client.get(reverse("pii_settings", args=[corpus.slug]))
    assert b"labeler.Conversation: 1" in settings_page.content


def test_the_command_previews_then_erases_with_yes(corpus, capsys):
    call_command("erase", corpus.slug, "--id", "support-1-0")
    assert "Nothing erased yet" in capsys.readouterr().out
    call_command("erase", corpus.slug, "--id", "support-1-0", "--yes")
    assert "Erased" in capsys.readouterr().out
    assert Erasure.objects.get().erased_by is None


@pytest.mark.parametrize("name", ["pii_settings", "erasure_preview"])
def test_the_pages_are_a_404_to_another_projects_lead_and_to_a_trainer(client, project, outsider, trainer, name):
    for user in (outsider, trainer):
        client.force_login(user)
        assert client.get(reverse(name, args=[project.slug])).status_code == 404


def test_a_confirmation_is_a_404_to_another_projects_lead(client, corpus, outsider):
    client.force_login(outsider)
    response = client.post(reverse("erasure_confirm", args=[corpus.slug]), {"external_id": "support-1-0", "token": "x"})
    assert response.status_code == 404
    assert Conversation.objects.filter(project=corpus, external_id="support-1-0").exists()


def test_an_erasure_has_the_statistics_recomputed_without_its_rankings(corpus, lead, celery_worker):
    project_stats_refresh(project_id=corpus.id)
    before = ProjectStats.objects.get(project=corpus).rankings_count
    plan = erasure_plan(project=corpus, search=EMAIL)

    erasure_do(project=corpus, user=lead, token=plan.token, search=EMAIL)

    erased = plan.counts["rankings.Ranking"]
    celery_worker.wait_for(lambda: ProjectStats.objects.get(project=corpus).rankings_count == before - erased)
