"""Ratings: a trainer's value for each candidate on each attribute of the project's rubric.

Checked with the rest of a judgement (`rankings.services.judgement_check`), written with its
ranking on submission and replaced with it on revision.
"""

import re
import struct

from rankings.models import Ranking, Rating
from ranklab.errors import RankLabError

_WHOLE = re.compile(r"^-?[0-9]{1,4}$")
# The byte of a rating not given, in `Ranking.rating_values` (a rubric's scale stays within -100..100).
MISSING = -128


def rating_value(value) -> int | None:
    """A submitted value as a whole number: an int, or its decimal text as a form sends it; None otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _WHOLE.match(value.strip()):
        return int(value)
    return None


def check_ratings(*, ratings, rubric: list[dict], candidate_ids: set[int], names: dict[int, str]) -> None:
    """Every rating names a candidate of the comparison and an attribute of the rubric, with a whole
    number on its scale; every required attribute of every candidate is rated."""
    if not isinstance(ratings, dict):
        raise RankLabError("Ratings must map candidate ids to attribute values.")
    attributes = {attribute["key"]: attribute for attribute in rubric}
    for candidate, values in ratings.items():
        if candidate not in candidate_ids:
            raise RankLabError(f"A rating names candidate {candidate}, which does not belong to this comparison.")
        name = names.get(candidate, f"Candidate {candidate}")
        if not isinstance(values, dict):
            raise RankLabError(f"{name}: ratings must map attributes to values.")
        for key, value in values.items():
            attribute = attributes.get(key)
            if attribute is None:
                raise RankLabError(f"{name}: unknown rating attribute {str(key)[:40]!r}.")
            number = rating_value(value)
            low, high = attribute["min"], attribute["max"]
            if number is None:
                raise RankLabError(f"{name}: {attribute['label']} must be a whole number from {low} to {high}.")
            if not low <= number <= high:
                raise RankLabError(f"{name}: {attribute['label']} must be from {low} to {high}, not {number}.")
    for candidate in sorted(candidate_ids, key=lambda candidate: names.get(candidate, "")):
        given = ratings.get(candidate, {})
        for attribute in rubric:
            if attribute["required"] and attribute["key"] not in given:
                name = names.get(candidate, f"Candidate {candidate}")
                raise RankLabError(f"{name}: rate {attribute['label']} (required).")


def ratings_packed(
    *, ratings: dict[int, dict], rubric: list[dict], display_order: list[int]
) -> tuple[str, bytes | None]:
    """`Ranking.rating_keys` and `rating_values` of checked ratings: ("", None) without any."""
    if not ratings:
        return "", None
    keys = [attribute["key"] for attribute in rubric]
    values = []
    for key in keys:
        for candidate in display_order:
            value = rating_value(ratings.get(candidate, {}).get(key))
            values.append(MISSING if value is None else value)
    return ",".join(keys), struct.pack(f">{len(display_order)}q{len(values)}b", *display_order, *values)


def ratings_store(*, ranking: Ranking, ratings: dict[int, dict], rubric: list[dict], replace: bool = False) -> None:
    """Write the checked ratings of `ranking` (replacing those it had, on revision); call inside its transaction."""
    if replace:
        Rating.objects.filter(ranking=ranking).delete()
    ranking.rating_keys, ranking.rating_values = ratings_packed(
        ratings=ratings, rubric=rubric, display_order=ranking.display_order
    )
    Ranking.objects.filter(id=ranking.id).update(rating_keys=ranking.rating_keys, rating_values=ranking.rating_values)
    Rating.objects.bulk_create(
        Rating(
            ranking=ranking,
            candidate_id=candidate,
            attribute=key,
            value=rating_value(value),
        )
        for candidate, values in ratings.items()
        for key, value in values.items()
    )


def ratings_of(*, ranking: Ranking) -> dict[int, dict[str, int]]:
    """The ratings of `ranking`: candidate id → attribute → value."""
    ratings: dict[int, dict[str, int]] = {}
    for candidate, attribute, value in Rating.objects.filter(ranking=ranking).values_list(
        "candidate_id", "attribute", "value"
    ):
        ratings.setdefault(candidate, {})[attribute] = value
    return ratings


def rating_fields(*, rubric: list[dict], values: dict[str, str]) -> list[dict]:
    """A card's rating groups as the ranking screen shows them, each value marked when it is the one given."""
    return [
        {
            **attribute,
            "given": values.get(attribute["key"], ""),
            "choices": [
                {"value": value, "checked": str(value) == values.get(attribute["key"], "")}
                for value in range(attribute["min"], attribute["max"] + 1)
            ],
        }
        for attribute in rubric
    ]
