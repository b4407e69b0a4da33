from celery import shared_task

from privacy.scanning import pii_scan_comparison as scan_comparison
from privacy.scanning import pii_scan_project as scan_project
from privacy.scanning import pii_scan_sweep as scan_sweep
from ranklab.background import enqueue_after_commit


@shared_task(name="privacy.tasks.pii_scan_project", ignore_result=True)
def pii_scan_project(project_id: int) -> None:
    if not scan_project(project_id=project_id):
        # The budget ran out with texts left: the next run carries on, behind other work.
        enqueue_after_commit("privacy.tasks.pii_scan_project", project_id)


@shared_task(name="privacy.tasks.pii_scan_comparison", ignore_result=True)
def pii_scan_comparison(comparison_id: int) -> None:
    scan_comparison(comparison_id=comparison_id)


@shared_task(name="privacy.tasks.pii_scan_sweep", ignore_result=True)
def pii_scan_sweep() -> None:
    scan_sweep()
