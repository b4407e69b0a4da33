"""Audits against the real llama.cpp model and the keyword-flagging moderation server."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from labeler.tests.celery_worker import _database_url
from safety.audit_runner import audit_run_execute
from safety.audits import audit_run_create, audit_run_resume, suite_update
from safety.models import AuditAnswer, AuditRun
from safety.tests.audit_data import audit_setup

ROOT = Path(__file__).resolve().parents[2]


def audit_command(*args) -> subprocess.CompletedProcess:
    """`manage.py audit` in its own process, on the test database, as a CI job runs it."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", "DATABASE_URL": _database_url()}
    return subprocess.run(
        [sys.executable, "manage.py", "audit", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_0_when_the_thresholds_hold_and_1_when_one_is_exceeded(
    project, model_server, moderation_server
):
    suite, _, _ = audit_setup(
        project,
        model_url=model_server,
        moderation_url=moderation_server.base_url,
        thresholds={"overall": {"max_disallowed_rate": 0.0}},
    )
    moderation_server.keywords = {}  # nothing is flagged

    passing = audit_command(project.slug, "candidate", "--baseline", "baseline")

    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "pass  overall.max_disallowed_rate" in passing.stdout
    assert "PASSED" in passing.stdout

    moderation_server.keywords = {"": "violence"}  # every answer is flagged

    failing = audit_command(project.slug, "candidate", "--baseline", "baseline", "--suite", suite.name)

    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "FAIL  overall.max_disallowed_rate = 100.0%" in failing.stdout
    assert "violence" in failing.stdout
    first, second = AuditRun.objects.order_by("id")
    assert (first.passed, second.passed) == (True, False)
    assert second.report["sections"][-1]["endpoint"]["disallowed_rate"] == 1.0
    assert AuditAnswer.objects.filter(run=second).count() == 6


@pytest.mark.django_db
def test_the_command_says_what_is_wrong_with_its_arguments_and_exits_2(project):
    with pytest.raises(CommandError, match="No endpoint named 'nope'") as error:
        call_command("audit", project.slug, "nope")
    assert error.value.returncode == 2

    with pytest.raises(CommandError, match="no project with the slug") as error:
        call_command("audit", "missing-project", "nope")
    assert error.value.returncode == 2


@pytest.mark.django_db
def test_a_filter_that_is_down_is_in_the_report_and_a_rerun_fills_in_its_verdicts(
    project, model_server, moderation_server
):
    suite, endpoint, baseline = audit_setup(project, model_url=model_server, moderation_url=moderation_server.base_url)
    moderation_server.keywords = {}
    moderation_server.down = True
    run = audit_run_create(suite=suite, endpoint=endpoint, baseline=baseline, enqueue=False)

    run = audit_run_execute(run_id=run.id)

    assert run.status == AuditRun.Status.DONE
    assert run.passed is False
    assert run.report["moderation_unavailable"] == 6
    assert "The moderation endpoint gave no verdict on 6 answers: HTTP 503" in run.report["notes"][0]
    assert run.report["incomplete"] == {"errors": 0, "unjudged": 4}  # the 2 benign answers need no verdict
    answers = dict(AuditAnswer.objects.filter(run=run).values_list("id", "text"))

    moderation_server.down = False
    audit_run_resume(run=run)
    run = audit_run_execute(run_id=run.id)

    assert run.passed is True
    assert run.report["notes"] == []
    # The answers were kept, not sampled again: only the verdicts were filled in.
    assert dict(AuditAnswer.objects.filter(run=run).values_list("id", "text")) == answers
    assert not AuditAnswer.objects.filter(run=run, moderation_flagged__isnull=True).exists()


@pytest.mark.django_db
def test_an_endpoint_that_cannot_be_reached_gives_errors_that_are_counted(project, model_server, moderation_server):
    suite, endpoint, baseline = audit_setup(project, model_url=model_server, moderation_url=moderation_server.base_url)
    baseline.base_url = "http://127.0.0.1:9/v1"
    baseline.timeout_seconds = 2
    baseline.save()
    run = audit_run_create(suite=suite, endpoint=endpoint, baseline=baseline, enqueue=False)

    run = audit_run_execute(run_id=run.id)

    assert run.status == AuditRun.Status.DONE
    assert run.report["incomplete"]["errors"] == 3
    assert run.report["sections"][-1]["baseline"]["error"] == 3
    assert any("3 answers could not be sampled" in note for note in run.report["notes"])
    assert run.passed is False
    assert AuditAnswer.objects.filter(run=run, endpoint=baseline, classification="error").count() == 3


@pytest.mark.django_db
def test_the_judge_grades_every_answer(project, model_server):
    suite, endpoint, baseline = audit_setup(project, model_url=model_server, moderation_url=None)
    suite_update(suite=suite, judge_base_url=model_server, judge_model="smollm2")
    run = audit_run_create(suite=suite, endpoint=endpoint, baseline=baseline, enqueue=False)

    run = audit_run_execute(run_id=run.id)

    assert run.status == AuditRun.Status.DONE
    answers = list(AuditAnswer.objects.filter(run=run))
    assert len(answers) == 6
    # The small model is a poor judge; what matters is that each answer was put to it and its reply kept.
    for answer in answers:
        assert answer.judge_reason and answer.judge_error == ""
        assert answer.judge_verdict in ("disallowed", "refused", "answered", "unclear")
        if answer.judge_verdict == "disallowed":
            assert answer.classification in ("disallowed", "answered")  # benign probes count refusals only
    assert run.report["judge_unavailable"] == sum(answer.judge_verdict == "unclear" for answer in answers)


@pytest.mark.django_db
def test_a_judge_that_cannot_be_reached_is_in_the_report(project, model_server, moderation_server):
    suite, endpoint, _ = audit_setup(project, model_url=model_server, moderation_url=moderation_server.base_url)
    suite_update(suite=suite, judge_base_url="http://127.0.0.1:9/v1", judge_model="judge")
    run = audit_run_create(suite=suite, endpoint=endpoint, baseline=None, enqueue=False)

    run = audit_run_execute(run_id=run.id)

    assert run.report["judge_unavailable"] == 3
    assert "The judge gave no verdict on 3 answers: Could not connect" in " ".join(run.report["notes"])
    # The filter's verdicts still count: without the judge, refusals are found by the heuristic.
    assert run.report["incomplete"] == {"errors": 0, "unjudged": 0}
