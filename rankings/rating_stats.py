"""The ratings part of a project's statistics: per rubric attribute, trainers' agreement
(interval alpha, rankings/rating_agreement.py), the distribution of values and each trainer's mean.

Read from each ranking's packed ratings (`Ranking.rating_values`, rankings/ratings.py): one narrow
row per ranking rather than a row per value, and numpy over all of them at once.
"""

from collections import defaultdict

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection

from labeler.models import Project
from rankings.models import Ranking
from rankings.rating_agreement import interval_alpha
from rankings.ratings import MISSING

CHUNK = 5000
# PostgreSQL joins each layout's packed ratings (and trainer ids, as int8send writes them) into one
# value: a few rows of megabytes cross the wire in a fraction of the time 100k rows of bytes take.
# The two aggregates of a group are fed its rows in one order, so the n-th ranking's ratings and
# trainer stay together without a sort.
_JOINED_SQL = """
SELECT r.rating_keys, length(r.rating_values),
    string_agg(r.rating_values, ''::bytea), string_agg(int8send(r.trainer_id), ''::bytea)
FROM rankings_ranking r JOIN labeler_comparison c ON c.id = r.comparison_id
WHERE c.project_id = %s AND r.rating_keys <> ''
GROUP BY r.rating_keys, length(r.rating_values)
"""


def rating_stats(*, project: Project) -> dict:
    """Each attribute of the rubric (and any rated under an earlier one) with its figures, and the trainers' means."""
    candidates, trainers, values = _unpacked(_packed(project))
    units = np.unique(candidates, return_inverse=True)[1] if len(candidates) else candidates
    trainer_ids, trainer_index = np.unique(trainers, return_inverse=True)
    rubric = {attribute["key"]: attribute for attribute in project.rubric}
    keys = [*rubric, *sorted(set(values) - set(rubric))]
    attributes, means, counts = [], [], np.zeros(len(trainer_ids), dtype=np.int64)
    for key in keys:
        given = values.get(key, np.full(len(candidates), MISSING, dtype=np.int8))
        rated = given != MISSING
        value = given[rated].astype(np.float64)
        unit = units[rated]
        figure = interval_alpha(
            counts=np.bincount(unit), sums=np.bincount(unit, weights=value), squares=np.bincount(unit, weights=value**2)
        )
        shown, shown_counts = np.unique(given[rated], return_counts=True)
        by_value = dict(zip(shown.tolist(), shown_counts.tolist(), strict=True))
        attribute = rubric.get(key, {"key": key, "label": key})
        low, high = attribute.get("min", min(by_value, default=0)), attribute.get("max", max(by_value, default=0))
        attributes.append(
            {
                "key": key,
                "label": attribute["label"],
                "ratings": int(rated.sum()),
                "mean": float(value.mean()) if len(value) else None,
                **figure.as_dict(),
                "distribution": [
                    {"value": v, "count": by_value.get(v, 0)} for v in sorted({*range(low, high + 1), *by_value})
                ],
            }
        )
        rater = trainer_index[rated]
        trainer_counts = np.bincount(rater, minlength=len(trainer_ids))
        trainer_sums = np.bincount(rater, weights=value, minlength=len(trainer_ids))
        counts += trainer_counts
        means.append(
            [s / n if n else None for s, n in zip(trainer_sums.tolist(), trainer_counts.tolist(), strict=True)]
        )
    usernames = dict(get_user_model().objects.filter(id__in=trainer_ids.tolist()).values_list("id", "username"))
    trainers_rows = [
        {
            "username": usernames.get(trainer_id, f"#{trainer_id}"),
            "ratings": int(counts[index]),
            "means": [column[index] for column in means],
        }
        for index, trainer_id in enumerate(trainer_ids.tolist())
    ]
    trainers_rows.sort(key=lambda row: row["username"])
    return {"attributes": attributes, "trainers": trainers_rows}


def _packed(project: Project) -> list[tuple[str, int, bytes, np.ndarray]]:
    """Packed ratings by layout: its keys, the size of one ranking's, all of them joined, their trainers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_JOINED_SQL, [project.id])
            return [
                (keys, size, bytes(joined), np.frombuffer(bytes(trainers), dtype=">i8").astype(np.int64))
                for keys, size, joined, trainers in cursor
            ]
    grouped: dict[tuple[str, int], tuple[list[int], list[bytes]]] = defaultdict(lambda: ([], []))
    rows = (
        Ranking.objects.filter(comparison__project=project)
        .exclude(rating_keys="")
        .values_list("trainer_id", "rating_keys", "rating_values")
    )
    for trainer_id, keys, values in rows.iterator(chunk_size=CHUNK):
        trainers, blobs = grouped[(keys, len(values))]
        trainers.append(trainer_id)
        blobs.append(bytes(values))
    return [
        (keys, size, b"".join(blobs), np.array(trainers, dtype=np.int64))
        for (keys, size), (trainers, blobs) in grouped.items()
    ]


def _unpacked(packed: list) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Every rated candidate of every ranking, flat: its id, its trainer, and its value per attribute key."""
    candidates, trainers, values = [], [], defaultdict(list)
    for keys, size, joined, trainer_ids in packed:
        names = keys.split(",")
        shown = size // (8 + len(names))
        layout = np.dtype([("candidates", ">i8", (shown,)), ("values", "i1", (len(names), shown))])
        block = np.frombuffer(joined, dtype=layout)
        candidates.append(block["candidates"].astype(np.int64).ravel())
        trainers.append(np.repeat(trainer_ids, shown))
        for index, name in enumerate(names):
            values[name].append((len(candidates) - 1, block["values"][:, index, :].ravel()))
    lengths = [len(part) for part in candidates]
    starts = np.cumsum([0, *lengths])
    total = int(starts[-1])
    by_key = {}
    for name, parts in values.items():
        column = np.full(total, MISSING, dtype=np.int8)
        for block_index, part in parts:
            column[starts[block_index] : starts[block_index + 1]] = part
        by_key[name] = column
    empty = np.zeros(0, dtype=np.int64)
    return (
        np.concatenate(candidates) if candidates else empty,
        np.concatenate(trainers) if trainers else empty,
        by_key,
    )
