"""docs/export-formats.md shows real lines: the same keys, at every depth, as the code writes."""

import json
import re
from pathlib import Path

import pytest

from exports.formats import FORMATS, export_lines
from exports.native import native_rows
from exports.options import ExportOptions
from exports.services import comparisons_for_export
from exports.tests.ranked import docs_project

pytestmark = pytest.mark.django_db(transaction=True)

DOC = Path(__file__).resolve().parents[2] / "docs" / "export-formats.md"


def shape(value):
    """The keys of a JSON value at every depth, without the values (or the ids that key flags)."""
    if isinstance(value, dict):
        return {"<id>" if key.isdigit() else key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def documented() -> dict[str, dict]:
    sections = re.findall(r"^## `(\w+)`.*?```json\n(.*?)\n```", DOC.read_text(), flags=re.S | re.M)
    return {name: json.loads(line) for name, line in sections}


def test_every_format_is_documented_with_a_line_of_its_real_shape(project):
    docs_project(project)
    [row] = native_rows(project=project, comparisons=comparisons_for_export(project=project))
    lines = documented()
    assert list(lines) == list(FORMATS)
    for format in FORMATS:
        written = next(export_lines([row], format=format, options=ExportOptions()))
        assert shape(lines[format]) == shape(written), format
