"""Export jobs: a dataset file written once, in the background, through Django's storage."""

import hashlib
import tempfile
from collections.abc import Iterator, Mapping
from datetime import date

import orjson
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from exports.formats import EXPANSIONS, FILTERS, FLAG_MODES, FORMATS, SCHEMA_VERSION, export_lines
from exports.models import Export
from exports.native import native_rows
from exports.webhooks import webhooks_notify
from labeler.errors import RankLabError
from labeler.models import Comparison, Project

_PROGRESS_EVERY = 500


def export_options_check(*, format: str, options: dict) -> None:
    if format not in FORMATS:
        raise RankLabError(f"Unknown format {format!r}; choose one of {', '.join(FORMATS)}.")
    if options.get("expansion", "consensus") not in EXPANSIONS:
        raise RankLabError(f"Unknown pair expansion; choose one of {', '.join(EXPANSIONS)}.")
    filters = options.get("filters", {})
    if unknown := sorted(set(filters) - set(FILTERS)):
        raise RankLabError(f"Unknown filter {', '.join(unknown)}; the filters are {', '.join(FILTERS)}.")
    if filters.get("exclude_flag_mode", "any") not in FLAG_MODES:
        raise RankLabError(f"exclude_flag_mode is one of {', '.join(FLAG_MODES)}.")


def export_options(*, expansion: str, margin: bool, values: Mapping) -> dict:
    """Export options from a form's, a command's or a query's values: the filters that are set, days as ISO text."""
    filters = {
        key: value.isoformat() if isinstance(value, date) else value
        for key in FILTERS
        if (value := values.get(key)) not in (None, "", False)
    }
    return {"expansion": expansion, "margin": margin, "filters": filters}


_FLUSH_BYTES = 256 * 1024


def jsonl(lines: Iterator[dict]) -> Iterator[bytes]:
    """JSON Lines (compact, UTF-8), in chunks of about 256 KiB: one write per line would dominate a big stream."""
    buffer, size = [], 0
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    for line in lines:
        encoded = dumps(line, option=newline)
        buffer.append(encoded)
        size += len(encoded)
        if size >= _FLUSH_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


def comparisons_for_export(*, project: Project):
    """Completed comparisons, in the order the pipeline cursor uses."""
    return (
        Comparison.objects.filter(project=project, status=Comparison.Status.COMPLETE)
        .select_related("conversation")
        .order_by("completed_xid", "id")
    )


def export_create(*, project: Project, user, format: str, options: dict) -> Export:
    """Queue an export; the worker writes it once this transaction commits."""
    from exports.tasks import export_run

    export_options_check(format=format, options=options)
    with transaction.atomic():
        export = Export.objects.create(
            project=project, format=format, options=options, created_by=user, schema_version=SCHEMA_VERSION
        )
        transaction.on_commit(lambda: export_run.delay(export.id))
    return export


def export_write(*, export_id: int) -> Export:
    """Write the export's file and manifest; a second run of a claimed export does nothing."""
    claimed = Export.objects.filter(id=export_id, status=Export.Status.QUEUED).update(status=Export.Status.RUNNING)
    export = Export.objects.select_related("project", "created_by").get(id=export_id)
    if not claimed:
        return export
    try:
        _write(export)
    except Exception as error:
        Export.objects.filter(id=export.id).update(status=Export.Status.FAILED, error=str(error)[:2000])
        raise
    return export


def _write(export: Export) -> None:
    project = export.project
    comparisons = comparisons_for_export(project=project)
    Export.objects.filter(id=export.id).update(total=comparisons.count())
    digest, rows, done = hashlib.sha256(), 0, 0

    def progress(source):
        nonlocal done
        for row in source:
            done += 1
            if done % _PROGRESS_EVERY == 0:
                Export.objects.filter(id=export.id).update(progress=done)
            yield row

    with tempfile.TemporaryFile() as scratch:
        lines = export_lines(
            progress(native_rows(project=project, comparisons=comparisons)),
            format=export.format,
            options=export.options,
        )
        for chunk in jsonl(lines):
            scratch.write(chunk)
            digest.update(chunk)
            rows += chunk.count(b"\n")
        scratch.seek(0)
        name = default_storage.save(f"exports/{project.slug}/{export.id}-{export.format}.jsonl", File(scratch))
    manifest = {
        "export_id": export.id,
        "project": project.slug,
        "format": export.format,
        "schema_version": export.schema_version,
        "options": export.options,
        "row_count": rows,
        "comparisons": done,
        "sha256": digest.hexdigest(),
        "created_at": export.created_at.isoformat(),
        "created_by": export.created_by.username if export.created_by else None,
        "file": name,
    }
    with transaction.atomic():
        _finish(export, done=done, rows=rows, digest=digest.hexdigest(), name=name, manifest=manifest)


def _finish(export: Export, *, done: int, rows: int, digest: str, name: str, manifest: dict) -> None:
    Export.objects.filter(id=export.id).update(
        status=Export.Status.DONE,
        progress=done,
        row_count=rows,
        sha256=digest,
        file=name,
        manifest=manifest,
        finished_at=timezone.now(),
    )
    webhooks_notify(project_id=export.project_id, event="export.finished", payload=manifest)
