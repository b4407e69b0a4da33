"""The ratings part of a project's statistics: per rubric attribute, trainers' agreement
(interval alpha, rankings/rating_agreement.py), the distribution of values and each trainer's mean.

Two aggregate queries over the project's ratings; the database sums them, so what comes back is
a few hundred rows however many ratings there are.
"""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import connection

from labeler.models import Project
from rankings.models import Rating
from rankings.rating_agreement import UnitTotals, alpha_from_totals

_TABLE = Rating._meta.db_table

# Per attribute, over the candidates it was rated for at least twice: the sums interval alpha needs.
_UNITS_SQL = f"""
SELECT attribute, count(*), sum(n), sum(s), sum(ss), sum((n * ss - s * s) * 1.0 / (n - 1))
FROM (
    SELECT attribute, count(*) AS n, sum(value) AS s, sum(value * value) AS ss
    FROM {_TABLE} WHERE project_id = %s GROUP BY attribute, candidate_id
) AS units
WHERE n >= 2 GROUP BY attribute
"""  # noqa: S608
# The distribution of values and each trainer's means both come from these counts.
_VALUES_SQL = f"""
SELECT attribute, trainer_id, value, count(*) FROM {_TABLE} WHERE project_id = %s GROUP BY attribute, trainer_id, value
"""  # noqa: S608


def rating_stats(*, project: Project) -> dict:
    """Each attribute of the rubric (and any rated under an earlier one) with its figures, and the trainers' means."""
    with connection.cursor() as cursor:
        cursor.execute(_UNITS_SQL, [project.id])
        units = {
            row[0]: UnitTotals(int(row[1]), int(row[2]), float(row[3]), float(row[4]), float(row[5])) for row in cursor
        }
        cursor.execute(_VALUES_SQL, [project.id])
        counts = cursor.fetchall()
    distribution: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    by_trainer: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for attribute, trainer_id, value, count in counts:
        distribution[attribute][value] += count
        sums = by_trainer[trainer_id][attribute]
        sums[0] += count
        sums[1] += value * count
    rubric = {attribute["key"]: attribute for attribute in project.rubric}
    keys = [*rubric, *sorted(set(distribution) - set(rubric))]
    attributes = []
    for key in keys:
        attribute = rubric.get(key, {"key": key, "label": key})
        values = distribution.get(key, {})
        low = attribute.get("min", min(values, default=0))
        high = attribute.get("max", max(values, default=0))
        rated = sum(values.values())
        alpha = alpha_from_totals(units[key]).as_dict() if key in units else {"alpha": None, "units": 0, "values": 0}
        attributes.append(
            {
                "key": key,
                "label": attribute["label"],
                "ratings": rated,
                "mean": sum(value * count for value, count in values.items()) / rated if rated else None,
                **alpha,
                "distribution": [
                    {"value": value, "count": values.get(value, 0)}
                    for value in sorted({*range(low, high + 1), *values})
                ],
            }
        )
    usernames = dict(get_user_model().objects.filter(id__in=by_trainer).values_list("id", "username"))
    trainers = [
        {
            "username": usernames.get(trainer_id, f"#{trainer_id}"),
            "ratings": sum(n for n, _ in sums.values()),
            "means": [sums[key][1] / sums[key][0] if key in sums else None for key in keys],
        }
        for trainer_id, sums in by_trainer.items()
    ]
    trainers.sort(key=lambda row: row["username"])
    return {"attributes": attributes, "trainers": trainers}
