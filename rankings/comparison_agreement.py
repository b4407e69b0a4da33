"""Each comparison's agreement figure, kept in ComparisonAgreement for the data browser's bands.

The statistics computation finds every figure anyway; storing them there costs a read of the
stored ones and a write of those that changed, which after the first computation is a handful.
"""

from django.db import connection

from labeler.models import Project
from rankings.models import ComparisonAgreement
from ranklab.database import is_postgresql

_BATCH = 5000
_UPSERT = """
INSERT INTO rankings_comparisonagreement (comparison_id, project_id, exact)
SELECT comparison_id, %s, exact FROM unnest(%s::bigint[], %s::float8[]) AS figure(comparison_id, exact)
ON CONFLICT (comparison_id) DO UPDATE SET exact = EXCLUDED.exact"""


def comparison_agreement_store(*, project: Project, figures: dict[int, float | None]) -> int:
    """Make the project's stored figures these; returns how many rows were written or removed."""
    stored = dict(ComparisonAgreement.objects.filter(project=project).values_list("comparison_id", "exact"))
    # Pairs, not model instances: building 100,000 instances cost a second on the first computation.
    changed = [
        (comparison_id, exact)
        for comparison_id, exact in figures.items()
        if comparison_id not in stored or stored[comparison_id] != exact
    ]
    gone = [comparison_id for comparison_id in stored if comparison_id not in figures]
    if changed and is_postgresql():
        # One statement from two arrays: Django's bulk upsert took 10 s for 100,000 figures, this a fraction of one.
        comparison_ids, exacts = zip(*changed, strict=True)
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT, [project.id, list(comparison_ids), list(exacts)])
    elif changed:
        ComparisonAgreement.objects.bulk_create(
            [
                ComparisonAgreement(comparison_id=comparison_id, project=project, exact=exact)
                for comparison_id, exact in changed
            ],
            batch_size=_BATCH,
            update_conflicts=True,
            unique_fields=["comparison"],
            update_fields=["exact"],
        )
    for start in range(0, len(gone), _BATCH):
        ComparisonAgreement.objects.filter(comparison_id__in=gone[start : start + _BATCH]).delete()
    return len(changed) + len(gone)
