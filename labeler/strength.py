"""Preference strength: how much better a trainer finds each rank than the next.

A trainer answers with one of three words; a ranking stores the words (what was said), and an
export turns them into numbers through the project's margins (what a reward model is to learn
from them), so a lead may change the numbers without touching a ranking. Pure: no Django.
"""

import math

from ranklab.errors import RankLabError

STRENGTHS = ("slightly", "clearly", "much")
DEFAULT_STRENGTH_MARGINS = (1.0, 2.0, 3.0)


def default_strength_margins() -> list[float]:
    return list(DEFAULT_STRENGTH_MARGINS)


def strength_margins_parse(text: str) -> list[float]:
    """`1, 2, 3` → the margins of slightly, clearly and much; errors say which number is wrong."""
    parts = [part.strip() for part in text.replace(";", ",").split(",")]
    if len(parts) != len(STRENGTHS):
        raise RankLabError(
            f"Give {len(STRENGTHS)} numbers separated by commas, one each for {', '.join(STRENGTHS)} (e.g. 1, 2, 3)."
        )
    margins = []
    for strength, part in zip(STRENGTHS, parts, strict=True):
        try:
            margin = float(part)
        except ValueError:
            raise RankLabError(f"The margin of {strength!r} is not a number: {part[:20]!r}.") from None
        if not math.isfinite(margin) or margin <= 0:
            raise RankLabError(f"The margin of {strength!r} must be a positive number.")
        if margins and margin <= margins[-1]:
            raise RankLabError(
                f"The margin of {strength!r} must be larger than that of {STRENGTHS[len(margins) - 1]!r}."
            )
        margins.append(margin)
    return margins


def strength_margins_format(margins: list[float]) -> str:
    return ", ".join(f"{margin:g}" for margin in margins)


def strength_label(strength: str, *, comparative: str) -> str:
    """What the trainer reads: "Slightly better", or "Much more harmful" in a red-team project."""
    return f"{strength.capitalize()} {comparative}"
