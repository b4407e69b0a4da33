"""The export formats' documentation (docs/export-formats.md), as HTML for the running app."""

from functools import cache
from pathlib import Path

from django.utils.safestring import SafeString

from ranklab.markdown import render_markdown_uncached

DOC = Path(__file__).resolve().parent.parent / "docs" / "export-formats.md"
# The document is long and its example lines are wide: more than a trainer's text gets.
_BUDGET_SECONDS = 5.0


@cache
def export_formats_doc() -> SafeString:
    """The document rendered once per process, through the app's one sanitising markdown renderer."""
    return SafeString(render_markdown_uncached(DOC.read_text(encoding="utf-8"), budget=_BUDGET_SECONDS))
