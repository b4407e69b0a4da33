"""A lead's model audits: suites, runs, their reports, and one probe's answers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from labeler.selectors import project_get_for_lead
from ranklab.errors import RankLabError
from safety import audits as services
from safety import selectors
from safety.audits import (
    ProbeImportFailed,
    audit_run_create,
    audit_run_resume,
    probes_import,
    suite_create,
    suite_default_load,
    suite_update,
)
from safety.forms import ProbeImportForm, RunForm, SuiteForm, SuiteSettingsForm
from safety.models import AuditAnswer, AuditRun


@login_required
def audit_home(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    form = SuiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            suite = suite_create(project=project, **form.cleaned_data)
        except RankLabError as error:
            form.add_error(None, str(error))
        else:
            return redirect("audit_suite_detail", slug=project.slug, suite_id=suite.id)
    context = {
        "project": project,
        "tab": "audits",
        "form": form,
        "suites": selectors.suites_of(project=project),
        "runs": selectors.runs_of(project=project)[:50],
    }
    return TemplateResponse(request, "safety/audit_home.html", context)


@login_required
@require_POST
def audit_suite_default(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    suite = suite_default_load(project=project)
    messages.success(request, f"{suite.name} loaded.")
    return redirect("audit_suite_detail", slug=project.slug, suite_id=suite.id)


def _suite_page(request, project, suite, *, settings_form=None, import_form=None, failure=None, status=200):
    context = {
        "project": project,
        "tab": "audits",
        "suite": suite,
        "settings_form": settings_form or SuiteSettingsForm(instance=suite),
        "import_form": import_form or ProbeImportForm(),
        "run_form": RunForm(project=project),
        "failure": failure,
        "probes": suite.probes.all()[:500],
        "probe_count": suite.probes.count(),
    }
    return TemplateResponse(request, "safety/audit_suite.html", context, status=status)


@login_required
def audit_suite_detail(request: HttpRequest, slug: str, suite_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    suite = selectors.suite_get(project=project, suite_id=suite_id)
    form = SuiteSettingsForm(request.POST or None, instance=suite)
    if request.method == "POST" and form.is_valid():
        try:
            suite_update(suite=suite, **{name: form.cleaned_data[name] for name in form.Meta.fields})
        except RankLabError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Suite saved.")
            return redirect("audit_suite_detail", slug=project.slug, suite_id=suite.id)
        suite.refresh_from_db()
    return _suite_page(request, project, suite, settings_form=form, status=400 if form.errors else 200)


@login_required
@require_POST
def audit_suite_import(request: HttpRequest, slug: str, suite_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    suite = selectors.suite_get(project=project, suite_id=suite_id)
    form = ProbeImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _suite_page(request, project, suite, import_form=form)
    try:
        result = probes_import(suite=suite, source=form.cleaned_data["file"])
    except ProbeImportFailed as failure:
        return _suite_page(request, project, suite, import_form=form, failure=failure, status=400)
    messages.success(request, result.summary)
    return redirect("audit_suite_detail", slug=project.slug, suite_id=suite.id)


@login_required
@require_POST
def audit_run_start(request: HttpRequest, slug: str, suite_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    suite = selectors.suite_get(project=project, suite_id=suite_id)
    form = RunForm(request.POST, project=project)
    if form.is_valid():
        try:
            run = audit_run_create(suite=suite, user=request.user, **form.cleaned_data)
        except RankLabError as error:
            messages.error(request, str(error))
        else:
            return redirect("audit_run_detail", slug=project.slug, run_id=run.id)
    else:
        messages.error(request, "Choose the endpoint to audit.")
    return redirect("audit_suite_detail", slug=project.slug, suite_id=suite.id)


@login_required
def audit_endpoint_runs(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    endpoint = selectors.endpoint_get(project=project, endpoint_id=endpoint_id)
    context = {
        "project": project,
        "tab": "audits",
        "endpoint": endpoint,
        "runs": selectors.runs_of(project=project).filter(endpoint=endpoint)[:200],
    }
    return TemplateResponse(request, "safety/audit_endpoint_runs.html", context)


@login_required
def audit_run_detail(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    run = selectors.run_get(project=project, run_id=run_id)
    context = {
        "project": project,
        "tab": "audits",
        "run": run,
        "report": run.report,
        "answers": selectors.run_answers(run=run) if run.status == AuditRun.Status.DONE else [],
        "in_progress": run.status in (AuditRun.Status.QUEUED, AuditRun.Status.RUNNING),
    }
    template = "safety/audit_run.html#run-report" if request.htmx else "safety/audit_run.html"
    return TemplateResponse(request, template, context)


@login_required
@require_POST
def audit_run_again(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    run = selectors.run_get(project=project, run_id=run_id)
    try:
        audit_run_resume(run=run)
    except RankLabError as error:
        messages.error(request, str(error))
    return redirect("audit_run_detail", slug=project.slug, run_id=run.id)


@login_required
def audit_answer_detail(request: HttpRequest, slug: str, run_id: int, probe_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    run = selectors.run_get(project=project, run_id=run_id)
    probe = selectors.probe_get(run=run, probe_id=probe_id)
    answers = {answer.endpoint_id: answer for answer in AuditAnswer.objects.filter(run=run, probe=probe)}
    context = {
        "project": project,
        "tab": "audits",
        "run": run,
        "probe": probe,
        "answer": answers.get(run.endpoint_id),
        "baseline_answer": answers.get(run.baseline_id) if run.baseline_id else None,
    }
    return TemplateResponse(request, "safety/audit_answer.html", context)


@login_required
@require_POST
def audit_answer_send(request: HttpRequest, slug: str, run_id: int, probe_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    run = selectors.run_get(project=project, run_id=run_id)
    probe = selectors.probe_get(run=run, probe_id=probe_id)
    try:
        comparison = services.audit_answer_send(run=run, probe=probe, user=request.user)
    except RankLabError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Sent to trainers as comparison {comparison.id}: the next trainer may rank it.")
    return redirect("audit_answer_detail", slug=project.slug, run_id=run.id, probe_id=probe.id)
