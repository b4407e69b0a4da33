"""An answer's style: what a reader notices before its content. Pure: text in, numbers out.

Style-controlled Bradley–Terry (rankings/consensus.py, docs/statistics.md) takes these as
covariates: the log of the length, and the markdown density as the share of an answer's lines
that are headers or list items, and its bold spans per line.
"""

import math
import re
from dataclasses import dataclass

HEADER = re.compile(r"^ {0,3}#{1,6}[ \t]", re.MULTILINE)
LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]", re.MULTILINE)
BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")
NON_BLANK_LINE = re.compile(r"^[ \t]*\S", re.MULTILINE)
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
    """The style of one answer. Each pattern runs only on a text that holds its marker: the
    statistics take the style of every candidate of a project."""
    multiline = "\n" in text
    return Style(
        length=len(text),
        lines=max(len(NON_BLANK_LINE.findall(text)), 1) if multiline else 1,
        headers=len(HEADER.findall(text)) if "#" in text else 0,
        list_items=len(LIST_ITEM.findall(text)) if multiline or text.lstrip(" \t")[:1] in _LIST_STARTS else 0,
        bold=len(BOLD.findall(text)) if "**" in text or "__" in text else 0,
    )


_LIST_STARTS = frozenset("-*+0123456789")
