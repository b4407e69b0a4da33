"""A trainer's progress line on the ranking page: what they ranked in the project since a moment (the
start of their day), and how many comparisons are left for them, counted up to a bound.

The page asks on every request: on PostgreSQL both counts come from one statement (the waiting
count is the queue's `ranklab_waiting_count`), elsewhere from the ORM, one query each.
"""

from datetime import datetime

from django.db import connection

from labeler.models import Project
from labeler.queue import comparisons_waiting_count
from rankings.models import Ranking

_RANKED_AND_WAITING = """
SELECT count(*), ranklab_waiting_count(%s, %s, %s, %s)
FROM rankings_ranking r JOIN labeler_comparison c ON c.id = r.comparison_id
WHERE r.trainer_id = %s AND c.project_id = %s AND r.submitted_at >= %s"""


def ranked_and_waiting(*, project: Project, trainer, since: datetime, up_to: int) -> tuple[int, int]:
    """(rankings the trainer submitted in the project since `since`, comparisons waiting for them up to `up_to`)."""
    if connection.vendor != "postgresql":
        return ranked_and_waiting_through_orm(project=project, trainer=trainer, since=since, up_to=up_to)
    with connection.cursor() as cursor:
        cursor.execute(
            _RANKED_AND_WAITING, [project.id, trainer.id, project.overlap, up_to, trainer.id, project.id, since]
        )
        ranked, waiting = cursor.fetchone()
    return ranked, waiting


def ranked_and_waiting_through_orm(*, project: Project, trainer, since: datetime, up_to: int) -> tuple[int, int]:
    ranked = Ranking.objects.filter(trainer=trainer, comparison__project=project, submitted_at__gte=since).count()
    return ranked, comparisons_waiting_count(project=project, trainer=trainer, up_to=up_to)
