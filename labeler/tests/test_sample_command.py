"""`manage.py sample <slug>`: sample pending and failed comparisons from the shell."""

import pytest
from django.core.management import CommandError, call_command

from labeler.models import Comparison
from labeler.tests.factories import ComparisonFactory, ModelEndpointFactory, ProjectFactory
from labeler.tests.fakeserver import Reply


@pytest.fixture
def project(fake_model_server):
    project = ProjectFactory(k=2)
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, share=2)
    return project


@pytest.mark.django_db
def test_with_sync_it_samples_pending_and_failed_comparisons_here(project, capsys):
    pending = ComparisonFactory(project=project, status=Comparison.Status.PENDING)
    failed = ComparisonFactory(project=project, status=Comparison.Status.FAILED, failure_reason="HTTP 500")
    ready = ComparisonFactory(project=project, status=Comparison.Status.READY)

    call_command("sample", project.slug, "--sync")

    for comparison in (pending, failed):
        comparison.refresh_from_db()
        assert comparison.status == Comparison.Status.READY
        assert comparison.candidates.count() == 2
    assert not ready.candidates.exists()
    assert "3 of 3 sampled; 0 in progress; 0 failed." in capsys.readouterr().out


@pytest.mark.django_db
def test_with_sync_it_reports_what_failed(project, fake_model_server, capsys):
    fake_model_server.default = Reply.status(404)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    call_command("sample", project.slug, "--sync")

    out = capsys.readouterr().out
    assert "0 of 1 sampled; 0 in progress; 1 failed." in out
    assert f"comparison {comparison.id}: HTTP 404 from" in out


@pytest.mark.django_db
def test_it_refuses_an_unknown_project():
    with pytest.raises(CommandError, match="no project with the slug 'nope'"):
        call_command("sample", "nope")


@pytest.mark.django_db(transaction=True)
def test_it_hands_the_work_to_the_workers_and_follows_it(project, celery_worker, capsys):
    comparisons = ComparisonFactory.create_batch(2, project=project, status=Comparison.Status.PENDING)
    ComparisonFactory(project=project, status=Comparison.Status.FAILED, failure_reason="HTTP 500")

    call_command("sample", project.slug)

    out = capsys.readouterr().out
    assert "Handed 3 pending comparisons to the workers (1 of them had failed)." in out
    assert "3 of 3 sampled" in out
    assert all(c.candidates.count() == 2 for c in comparisons)
