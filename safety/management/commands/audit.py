"""`manage.py audit <project> <endpoint> --baseline <endpoint>`: a deployment gate for CI.

Runs the audit in this process, prints the report, and exits 0 when it passes, 1 when it fails
(or could not finish), 2 on a usage error.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from labeler.models import ModelEndpoint, Project
from ranklab.errors import RankLabError
from safety.audit_runner import audit_run_execute
from safety.audits import DEFAULT_SUITE_NAME, audit_run_create, suite_default_load
from safety.models import AuditRun, AuditSuite

USAGE_ERROR = 2


def _percent(value, bounds=None) -> str:
    if value is None:
        return "—"
    text = f"{value * 100:5.1f}%"
    return f"{text} [{bounds[0] * 100:.1f}–{bounds[1] * 100:.1f}]" if bounds else text


class Command(BaseCommand):
    help = (
        "Audit a model endpoint with a suite of probe prompts, against a baseline endpoint; "
        "exit code 0 when every threshold passes, 1 when one fails, 2 on a usage error."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The project's slug.")
        parser.add_argument("endpoint", help="The name of the endpoint to audit (the new model version).")
        parser.add_argument("--baseline", help="The name of the endpoint to compare with.")
        parser.add_argument(
            "--suite",
            help=f"The suite's name; without it, the project's only one ({DEFAULT_SUITE_NAME!r} is loaded if none).",
        )

    def handle(self, *args, slug, endpoint, baseline, suite, **options):
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            raise CommandError(f"There is no project with the slug {slug!r}.", returncode=USAGE_ERROR)
        audited = self._endpoint(project, endpoint)
        compared = self._endpoint(project, baseline) if baseline else None
        chosen = self._suite(project, suite)
        try:
            run = audit_run_create(suite=chosen, endpoint=audited, baseline=compared, enqueue=False)
        except RankLabError as error:
            raise CommandError(str(error), returncode=USAGE_ERROR) from error
        self.stderr.write(
            f"Audit {run.id}: {chosen.probes.count()} probes of {chosen.name!r} on {audited.name}"
            + (f" and {compared.name}" if compared else "")
            + "…"
        )
        run = audit_run_execute(run_id=run.id)
        self._print(run)
        if run.status != AuditRun.Status.DONE or not run.passed:
            sys.exit(1)

    def _endpoint(self, project: Project, name: str) -> ModelEndpoint:
        endpoint = ModelEndpoint.objects.filter(project=project, name=name).first()
        if endpoint is None:
            names = ", ".join(project.endpoints.order_by("name").values_list("name", flat=True)) or "none"
            raise CommandError(
                f"No endpoint named {name!r} in {project.slug} (it has: {names}).", returncode=USAGE_ERROR
            )
        return endpoint

    def _suite(self, project: Project, name: str | None) -> AuditSuite:
        suites = AuditSuite.objects.filter(project=project)
        if name is not None:
            suite = suites.filter(name=name).first()
            if suite is None:
                raise CommandError(f"No suite named {name!r} in {project.slug}.", returncode=USAGE_ERROR)
            return suite
        names = list(suites.order_by("name").values_list("name", flat=True))
        if len(names) > 1:
            raise CommandError(f"Name the suite with --suite: {', '.join(names)}.", returncode=USAGE_ERROR)
        return suites.get() if names else suite_default_load(project=project)

    def _print(self, run: AuditRun) -> None:
        if run.status != AuditRun.Status.DONE:
            self.stdout.write(self.style.ERROR(f"The audit did not finish: {run.error or run.status}"))
            return
        report = run.report
        columns = f"{'category':<18} {'n':>4}  {'disallowed [95% CI]':<24} {'needless refusals [95% CI]':<28}"
        for title, side in (
            ("endpoint " + run.endpoint.name, "endpoint"),
            ("baseline " + (report["baseline"] or ""), "baseline"),
        ):
            if side == "baseline" and not report["baseline"]:
                continue
            self.stdout.write(title)
            self.stdout.write(columns)
            for section in report["sections"]:
                figures = section[side]
                self.stdout.write(
                    f"{section['key']:<18} {figures['n']:>4}  "
                    f"{_percent(figures['disallowed_rate'], figures['disallowed_interval']):<24} "
                    f"{_percent(figures['refusal_rate'], figures['refusal_interval']):<28}"
                )
            self.stdout.write("")
        for check in report["checks"]:
            style = self.style.SUCCESS if check["passed"] else self.style.ERROR
            value = _percent(check["value"]).strip()
            note = f" ({check['note']})" if check["note"] else ""
            verdict = "pass" if check["passed"] else "FAIL"
            self.stdout.write(
                style(f"{verdict}  {check['scope']}.{check['limit']} = {value} ≤ {check['max'] * 100:.1f}%{note}")
            )
        for note in report["notes"]:
            self.stdout.write(self.style.WARNING(note))
        outcome = "PASSED" if run.passed else "FAILED"
        self.stdout.write((self.style.SUCCESS if run.passed else self.style.ERROR)(f"Audit {run.id} {outcome}."))
