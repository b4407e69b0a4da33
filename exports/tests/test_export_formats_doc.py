"""docs/export-formats.md shows real lines: the same keys, at every depth, as the code writes."""

import json
import re
from pathlib import Path

import pytest

from exports.formats import FORMATS, export_lines
from exports.moderation import export_rows
from exports.options import ExportOptions
from exports.services import comparisons_for_export
from exports.tests.chat_data import chat_project
from exports.tests.moderation_data import moderation_reviewed
from exports.tests.ranked import docs_project
from exports.tests.ratings_data import rated_project
from exports.tests.redteam_data import red_team_chat
from labeler.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db(transaction=True)

DOC = Path(__file__).resolve().parents[2] / "docs" / "export-formats.md"


def shape(value):
    """The keys of a JSON value at every depth, without the values (or the ids that key flags)."""
    if isinstance(value, dict):
        return {"<id>" if key.isdigit() else key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def documented() -> dict[str, list[dict]]:
    """The JSON lines each format's section shows, by format, in the order of the sections."""
    sections = re.findall(r"^## `(\w+)`(.*?)(?=^## |\Z)", DOC.read_text(), flags=re.S | re.M)
    return {
        name: [json.loads(line) for line in re.findall(r"```json\n(.*?)\n```", body, flags=re.S)]
        for name, body in sections
    }


def test_every_format_is_documented_with_lines_of_its_real_shapes(project):
    """Lines of the imported conversation of the docs, of the tests' chat conversation (with its
    filter's reviewed verdicts), of a red-team turn and of a rated comparison; `trl` with margins too."""
    docs_project(project)
    chat = chat_project(ProjectFactory())
    moderation_reviewed(chat)
    red_team = red_team_chat(ProjectFactory())
    rated = rated_project(ProjectFactory())
    written = {format: [] for format in FORMATS}
    for source in (project, chat.project, red_team.project, rated):
        comparisons = comparisons_for_export(project=source)
        for format in FORMATS:
            rows = export_rows(project=source, comparisons=comparisons, format=format)
            written[format] += export_lines(rows, format=format, options=ExportOptions())
        rows = export_rows(project=source, comparisons=comparisons, format="trl")
        written["trl"] += export_lines(rows, format="trl", options=ExportOptions(margin=True))
    lines = documented()
    assert list(lines) == list(FORMATS)
    for format, shown in lines.items():
        assert shown, format
        shapes = [shape(line) for line in written[format]]
        assert all(shape(line) in shapes for line in shown), format
    assert lines["native"][0]["schema_version"] == 3
