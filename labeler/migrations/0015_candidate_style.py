"""Each candidate keeps its text's style (ranklab/answer_style.py), measured once: the statistics read
these columns instead of measuring every text at every recompute. Existing candidates are measured here."""

from dataclasses import astuple

from django.db import migrations, models

from ranklab.answer_style import style_of

FIELDS = ("style_length", "style_lines", "style_headers", "style_list_items", "style_bold")
BATCH = 5000
# One statement per batch from arrays; Django's bulk_update (a CASE per column) took minutes for 100,000 rows.
UPDATE = """
UPDATE labeler_candidate candidate
SET style_length = style.length, style_lines = style.lines, style_headers = style.headers,
    style_list_items = style.list_items, style_bold = style.bold
FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::int[], %s::int[], %s::int[])
    AS style(id, length, lines, headers, list_items, bold)
WHERE candidate.id = style.id
"""


def measure(apps, schema_editor):
    Candidate = apps.get_model("labeler", "Candidate")
    unmeasured = Candidate.objects.filter(style_length__isnull=True).order_by("id").values_list("id", "text")
    last = 0
    while batch := list(unmeasured.filter(id__gt=last)[:BATCH]):
        rows = [(candidate_id, *astuple(style_of(text))) for candidate_id, text in batch]
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(UPDATE, [list(column) for column in zip(*rows, strict=True)])
        else:
            Candidate.objects.bulk_update(
                [Candidate(id=row[0], **dict(zip(FIELDS, row[1:], strict=True))) for row in rows], FIELDS
            )
        last = batch[-1][0]


def field(help_text: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(blank=True, editable=False, help_text=help_text, null=True)


class Migration(migrations.Migration):
    dependencies = [
        ("labeler", "0014_project_preference_strength"),
    ]

    operations = [
        migrations.AddField(model_name="candidate", name="style_length", field=field("Characters.")),
        migrations.AddField(model_name="candidate", name="style_lines", field=field("Non-blank lines.")),
        migrations.AddField(model_name="candidate", name="style_headers", field=field("Markdown headers.")),
        migrations.AddField(model_name="candidate", name="style_list_items", field=field("Markdown list items.")),
        migrations.AddField(model_name="candidate", name="style_bold", field=field("Markdown bold spans.")),
        migrations.RunPython(measure, migrations.RunPython.noop, elidable=True),
    ]
