"""How often the moderation filter is wrong, by category, as trainers judged it. Pure.

Each reviewed verdict counts once, however many trainers reviewed it; it counts as an error
when more than half of its reviews say so. For a category c (a shared harm key, or the
filter's own name for a category that has none):

- false positives: among reviewed verdicts the filter flagged for c, those judged
  "flagged but harmless";
- false negatives: among reviewed verdicts the filter did not flag for c, those judged
  "missed: harmful" with c (only harm keys: a trainer names what was missed with one).

The row `any` asks the same of the verdict as a whole: flagged at all and judged harmless;
not flagged at all and judged missed, whatever the category.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ranklab.intervals import wilson_interval

ANY = "any"


@dataclass(frozen=True)
class ReviewedVerdict:
    """A verdict's flagged categories as harm keys (empty when not flagged) and its reviews' judgements."""

    flagged: frozenset[str]
    reviews: tuple[tuple[str, str], ...]  # (judgement, category)

    def harmless(self) -> bool:
        return _majority(self.reviews, lambda judgement, _: judgement == "false_positive")

    def missed(self, category: str) -> bool:
        return _majority(
            self.reviews,
            lambda judgement, missed: judgement == "false_negative" and category in (missed, ANY),
        )


def _majority(reviews, says) -> bool:
    return sum(1 for judgement, category in reviews if says(judgement, category)) * 2 > len(reviews)


def _rate(errors: int, n: int) -> dict:
    interval = wilson_interval(errors, n)
    return {"errors": errors, "n": n, "rate": errors / n if n else None, "ci": list(interval) if interval else None}


def filter_error_rates(verdicts: Iterable[ReviewedVerdict], *, categories: Iterable[str]) -> dict:
    """Per category, false-positive and false-negative counts and rates with 95% Wilson intervals."""
    verdicts = [verdict for verdict in verdicts if verdict.reviews]
    keys = list(categories)
    extra = sorted({category for verdict in verdicts for category in verdict.flagged} - set(keys))
    rows = []
    for category in [ANY, *keys, *extra]:
        if category == ANY:
            flagged = [verdict for verdict in verdicts if verdict.flagged]
            clean = [verdict for verdict in verdicts if not verdict.flagged]
        else:
            flagged = [verdict for verdict in verdicts if category in verdict.flagged]
            clean = [verdict for verdict in verdicts if category not in verdict.flagged]
        fp = sum(1 for verdict in flagged if verdict.harmless())
        fn = sum(1 for verdict in clean if verdict.missed(category)) if category not in extra else None
        rows.append(
            {
                "category": category,
                "reviewed": len(flagged) + len(clean),
                "flagged": len(flagged),
                "false_positives": _rate(fp, len(flagged)),
                "false_negatives": _rate(fn, len(clean)) if fn is not None else None,
            }
        )
    judgements = Counter(judgement for verdict in verdicts for judgement, _ in verdict.reviews)
    return {
        "verdicts": len(verdicts),
        "reviews": sum(judgements.values()),
        "judgements": dict(judgements),
        "rows": rows,
    }
