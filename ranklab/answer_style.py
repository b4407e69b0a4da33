"""An answer's style: what a reader notices before its content. Pure: text in, numbers out.

Style-controlled Bradley–Terry (rankings/consensus.py, docs/statistics.md) takes these as
covariates: the log of the length, and the markdown density as the share of an answer's lines
that are headers or list items, and its bold spans per line. A candidate's style is measured once,
when it is stored (labeler's Candidate keeps it), so the statistics never read the texts again.
"""

import math
import re
from dataclasses import dataclass

HEADER = re.compile(r" {0,3}#{1,6}[ \t]")
LIST_ITEM = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]")
BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")
LIST_STARTS = "-*+0123456789"
# The covariates' names, in the order of `Style.covariates`.
COVARIATES = ("length", "headers", "lists", "bold")


@dataclass(frozen=True)
class Style:
    """Characters, non-blank lines, and the markdown headers, list items and bold spans counted in them."""

    length: int
    lines: int = 1
    headers: int = 0
    list_items: int = 0
    bold: int = 0

    @property
    def covariates(self) -> tuple[float, float, float, float]:
        """log length, header and list-item shares of the lines, bold spans per line."""
        lines = max(self.lines, 1)
        return (math.log(max(self.length, 1)), self.headers / lines, self.list_items / lines, self.bold / lines)


def style_of(text: str) -> Style:
    """The style of one answer. A pattern is tried only on a line that starts with its marker: a regex
    scanning whole texts was the slow part when the statistics measured every candidate."""
    bold = len(BOLD.findall(text)) if "**" in text or "__" in text else 0
    if "\n" not in text and text.lstrip(" \t")[:1] not in ("#", *LIST_STARTS):
        return Style(length=len(text), bold=bold)
    lines = headers = items = 0
    for line in text.split("\n"):
        if not line or line.isspace():
            continue
        lines += 1
        start = line.lstrip(" \t")[:1]
        if start == "#":
            headers += HEADER.match(line) is not None
        elif start in LIST_STARTS:
            items += LIST_ITEM.match(line) is not None
    return Style(length=len(text), lines=max(lines, 1), headers=headers, list_items=items, bold=bold)
