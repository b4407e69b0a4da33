"""The export formats' documentation (docs/export-formats.md), as HTML for the running app."""

from functools import cache
from pathlib import Path

import nh3
from django.utils.safestring import SafeString
from markdown_it import MarkdownIt

DOC = Path(__file__).resolve().parent.parent / "docs" / "export-formats.md"


@cache
def export_formats_doc() -> SafeString:
    """The document rendered once per process; it is the repository's own text, sanitised all the same."""
    html = MarkdownIt("commonmark").enable("table").render(DOC.read_text(encoding="utf-8"))
    return SafeString(nh3.clean(html))
