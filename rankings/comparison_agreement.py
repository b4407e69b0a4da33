"""Each comparison's agreement figure, kept in ComparisonAgreement for the data browser's bands.

The statistics computation finds every figure anyway; storing them there costs a read of the
stored ones and a write of those that changed, which after the first computation is a handful.
Each row also holds its band and its comparison's creation, so that the browser lists a band's
comparisons, newest first, from one index.
"""

from dataclasses import dataclass

from django.db import connection

from labeler.models import Comparison, Project
from rankings.models import ComparisonAgreement
from ranklab.database import id_array, is_postgresql


@dataclass(frozen=True)
class Band:
    label: str
    low: float | None = None  # inclusive
    high: float | None = None  # exclusive; 1.0 itself belongs to the top band


# InstructGPT's trainers agreed on 72.6 % of comparisons: the middle band holds that.
# (rankings/migrations/0007_agreement_band_newest.py wrote these bands into the rows it found.)
AGREEMENT_BANDS = {
    "low": Band("under 50 %", 0.0, 0.5),
    "medium": Band("50 – 80 %", 0.5, 0.8),
    "high": Band("80 % and over", 0.8, None),
    "unmeasured": Band("not measured (fewer than two rankings)"),
}

_BATCH = 5000
_UPSERT = """
INSERT INTO rankings_comparisonagreement (comparison_id, project_id, exact, band, created_at)
SELECT figure.comparison_id, comparison.project_id, figure.exact, figure.band, comparison.created_at
FROM unnest(%s::bigint[], %s::float8[], %s::text[]) AS figure(comparison_id, exact, band)
JOIN labeler_comparison comparison ON comparison.id = figure.comparison_id
ON CONFLICT (comparison_id) DO UPDATE
SET exact = EXCLUDED.exact, band = EXCLUDED.band, created_at = EXCLUDED.created_at"""


def agreement_band(exact: float | None) -> str:
    """The key of the measured band that holds `exact`; blank for no figure (or one in no band)."""
    if exact is None:
        return ""
    return next(
        (
            key
            for key, band in AGREEMENT_BANDS.items()
            if band.low is not None and exact >= band.low and (band.high is None or exact < band.high)
        ),
        "",
    )


def _array_literals(comparison_ids: tuple[int, ...], exacts: tuple[float | None, ...]) -> tuple[str, str, str]:
    """The upsert's three arrays as PostgreSQL array literals: binding lists made the driver adapt each of
    100,000 values in Python (0.29 s in a profile). A float's repr reads back as the same float."""
    bands = (agreement_band(exact) or '""' for exact in exacts)
    return (
        id_array(list(comparison_ids)),
        "{" + ",".join("NULL" if exact is None else repr(float(exact)) for exact in exacts) + "}",
        "{" + ",".join(bands) + "}",
    )


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
        # One statement from three arrays: Django's bulk upsert took 10 s for 100,000 figures, this a fraction of one.
        comparison_ids, exacts = zip(*changed, strict=True)
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT, _array_literals(comparison_ids, exacts))
    elif changed:
        created = dict(
            Comparison.objects.filter(id__in=[comparison_id for comparison_id, _ in changed]).values_list(
                "id", "created_at"
            )
        )
        ComparisonAgreement.objects.bulk_create(
            [
                ComparisonAgreement(
                    comparison_id=comparison_id,
                    project=project,
                    exact=exact,
                    band=agreement_band(exact),
                    created_at=created[comparison_id],
                )
                for comparison_id, exact in changed
            ],
            batch_size=_BATCH,
            update_conflicts=True,
            unique_fields=["comparison"],
            update_fields=["exact", "band", "created_at"],
        )
    for start in range(0, len(gone), _BATCH):
        ComparisonAgreement.objects.filter(comparison_id__in=gone[start : start + _BATCH]).delete()
    return len(changed) + len(gone)
