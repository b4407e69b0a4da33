import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from tqdm import tqdm

from labeler.models import Comparison, Project
from labeler.sampling.queueing import comparisons_enqueue_pending, comparisons_retry_failed
from labeler.sampling.sampler import comparison_sample_with_retries
from labeler.sampling.selectors import project_sampling_summary

_POLL_SECONDS = 1.0


class Command(BaseCommand):
    help = (
        "Sample the project's pending comparisons and retry its failed ones: hand them to the Celery "
        "workers and follow their progress, or with --sync sample them in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The project's slug.")
        parser.add_argument("--sync", action="store_true", help="Sample here, one comparison after another.")
        parser.add_argument("--no-wait", action="store_true", help="Enqueue and return without following progress.")

    def handle(self, *args, slug, sync, no_wait, **options):
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            raise CommandError(f"There is no project with the slug {slug!r}.")
        retried = comparisons_retry_failed(project=project) if not sync else 0
        if sync:
            self._sample_here(project)
        else:
            pending = comparisons_enqueue_pending(project=project)
            self.stdout.write(f"Handed {pending} pending comparisons to the workers ({retried} of them had failed).")
            if not no_wait:
                self._follow(project)
        summary = project_sampling_summary(project=project)
        counts = summary["counts"]
        self.stdout.write(
            f"{summary['sampled']} of {summary['total']} sampled; "
            f"{counts['pending'] + counts['sampling']} in progress; {counts['failed']} failed."
        )
        for comparison in summary["failed"]:
            self.stdout.write(self.style.WARNING(f"  comparison {comparison.id}: {comparison.failure_reason}"))

    def _sample_here(self, project: Project) -> None:
        todo = project.comparisons.filter(
            Q(status=Comparison.Status.PENDING) | Q(status=Comparison.Status.FAILED)
        ).order_by("id")
        ids = list(todo.values_list("id", flat=True))
        project.comparisons.filter(id__in=ids, status=Comparison.Status.FAILED).update(
            status=Comparison.Status.PENDING, failure_reason=""
        )
        for comparison_id in tqdm(ids, desc="sampling", unit="comparison", file=sys.stderr):
            comparison_sample_with_retries(comparison_id=comparison_id)

    def _follow(self, project: Project) -> None:
        summary = project_sampling_summary(project=project)
        with tqdm(total=summary["total"], desc="sampled", unit="comparison", file=sys.stderr) as bar:
            while True:
                bar.n = summary["sampled"] + summary["counts"]["failed"]
                bar.refresh()
                if not summary["active"]:
                    return
                time.sleep(_POLL_SECONDS)
                summary = project_sampling_summary(project=project)
