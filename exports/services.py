"""Export jobs: a dataset file written once, in the background, through Django's storage.

A worker claims a queued job (`attempt` + 1) and renews `touched_at` as it makes progress;
`exports.sweep` hands a job whose worker went silent to the queue again. Every write of a
run is conditional on its own attempt, so a run that was given up on and comes back to
life changes nothing: its file is removed and the newer run's stands.
"""

import hashlib
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, time

import orjson
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from exports.formats import (
    FORMATS,
    GROUPED,
    PAIR_FORMATS,
    PREFERENCE_FORMATS,
    SCHEMA_VERSION,
    check_questions,
    export_lines,
)
from exports.judgements import AiJudgements
from exports.length import PairSelection, check_length_filters
from exports.models import Export
from exports.moderation import export_rows
from exports.options import ExportOptions
from exports.webhooks import webhooks_notify
from labeler.models import HELPFUL, Comparison, Project
from privacy.exporting import export_redactor
from rankings.browse import browse_filters_parse, comparisons_browse
from rankings.models import JudgeRanking, Ranking
from ranklab.background import enqueue_after_commit
from ranklab.errors import RankLabError

_PROGRESS_EVERY = 500


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


def comparisons_for_export(*, project: Project, options: ExportOptions | None = None):
    """Completed comparisons, in the order the pipeline cursor uses, as the data browser's filter narrows them.

    With `ai_judgements` "fill", also those no trainer ranked that the AI judge did, after them.
    """
    options = options or ExportOptions()
    selected = Q(status=Comparison.Status.COMPLETE)
    if options.ai_judgements == "fill":
        selected |= Q(status=Comparison.Status.READY, rankings_count=0, judge_ranking__status=JudgeRanking.Status.DONE)
    comparisons = (
        Comparison.objects.filter(selected, project=project)
        .select_related("conversation")
        .order_by(F("completed_xid").asc(nulls_last=True), "id")
    )
    return comparisons_selected(project=project, comparisons=comparisons, options=options)


def comparisons_selected(*, project: Project, comparisons: QuerySet[Comparison], options: ExportOptions):
    """`comparisons` less those the data browser does not list under the export's `browser_filter`."""
    if not options.browser_filter:
        return comparisons
    filters = browse_filters_parse(project=project, query=options.browser_filter)
    return comparisons.filter(id__in=comparisons_browse(project=project, filters=filters).values("id"))


def export_questions(*, project: Project, options: ExportOptions) -> set[str]:
    """The questions the rankings of an export's completed comparisons answer, in one query.

    The completion dates narrow it as they narrow the export; the other filters, decided row by
    row, do not: a mix they would leave out is still refused.
    """
    rankings = Ranking.objects.filter(comparison__project=project, comparison__status=Comparison.Status.COMPLETE)
    if options.completed_after:
        rankings = rankings.filter(comparison__completed_at__gte=datetime.combine(options.completed_after, time(), UTC))
    if options.completed_before:
        rankings = rankings.filter(comparison__completed_at__lt=datetime.combine(options.completed_before, time(), UTC))
    questions = set(rankings.order_by().values_list("question", flat=True).distinct())
    if options.ai_judgements and JudgeRanking.objects.filter(project=project, status=JudgeRanking.Status.DONE).exists():
        questions.add(HELPFUL)
    return questions


def export_check(*, project: Project, format: str, options: ExportOptions) -> None:
    """Refuse, before any row is written, an export the options do not allow (a mix of questions)."""
    if format not in FORMATS:
        raise RankLabError(f"Unknown format {format!r}; choose one of {', '.join(FORMATS)}.")
    check_length_filters(format=format, options=options, pair_formats=PAIR_FORMATS)
    if options.ai_judgements and format in GROUPED:
        raise RankLabError(
            f"ai_judgements does not apply to {format}, which groups a conversation's comparisons: "
            "choose a format of rows or pairs."
        )
    if options.browser_filter:
        browse_filters_parse(project=project, query=options.browser_filter)
    if format in PREFERENCE_FORMATS and not options.mix_questions:
        check_questions(export_questions(project=project, options=options), format=format, options=options)


def export_create(*, project: Project, user, format: str, options: ExportOptions) -> Export:
    """Queue an export; the worker writes it once this transaction commits."""
    export_check(project=project, format=format, options=options)
    with transaction.atomic():
        export = Export.objects.create(
            project=project,
            format=format,
            options=options.to_json(),
            created_by=user,
            schema_version=SCHEMA_VERSION,
        )
        enqueue_after_commit("exports.tasks.export_run", export.id)
    return export


class Superseded(Exception):
    """The sweep handed this run's job to another run: this one stops."""


def export_write(*, export_id: int) -> Export:
    """Write the export's file and manifest; a second run of a claimed export does nothing."""
    claimed = Export.objects.filter(id=export_id, status=Export.Status.QUEUED).update(
        status=Export.Status.RUNNING, attempt=F("attempt") + 1, touched_at=timezone.now()
    )
    export = Export.objects.select_related("project", "created_by").get(id=export_id)
    if not claimed:
        return export
    try:
        _write(export)
    except Superseded:
        return export
    except Exception as error:
        _this_run(export).update(status=Export.Status.FAILED, error=str(error)[:2000])
        raise
    return export


def _this_run(export: Export):
    return Export.objects.filter(id=export.id, status=Export.Status.RUNNING, attempt=export.attempt)


def _touch(export: Export, **fields) -> None:
    if not _this_run(export).update(touched_at=timezone.now(), **fields):
        raise Superseded(f"export {export.id} attempt {export.attempt}")


def _write(export: Export) -> None:
    project = export.project
    options = ExportOptions.from_json(export.options)
    # Rankings may have come in since the export was asked for: the rule holds for what is written.
    questions = export_questions(project=project, options=options)
    check_questions(questions, format=export.format, options=options)
    comparisons = comparisons_for_export(project=project, options=options)
    _touch(export, total=comparisons.count())
    digest, rows, done = hashlib.sha256(), 0, 0

    def progress(source):
        nonlocal done
        for row in source:
            done += 1
            if done % _PROGRESS_EVERY == 0:
                _touch(export, progress=done)
            yield row

    redactor = export_redactor(project=project)
    ai = AiJudgements(options.ai_judgements) if options.ai_judgements else None
    selection = PairSelection.for_options(options)
    with tempfile.TemporaryFile() as scratch:
        lines = export_lines(
            progress(
                export_rows(project=project, comparisons=comparisons, format=export.format, redactor=redactor, ai=ai)
            ),
            format=export.format,
            options=options,
            selection=selection,
        )
        for chunk in jsonl(lines):
            scratch.write(chunk)
            digest.update(chunk)
            rows += chunk.count(b"\n")
        scratch.seek(0)
        _touch(export, progress=done)
        name = default_storage.save(f"exports/{project.slug}/{export.id}-{export.format}.jsonl", File(scratch))
    manifest = {
        "export_id": export.id,
        "project": project.slug,
        "format": export.format,
        "schema_version": export.schema_version,
        "options": export.options,
        "questions": sorted(questions),
        "mix_questions": options.mix_questions,
        "row_count": rows,
        "comparisons": done,
        "sha256": digest.hexdigest(),
        "created_at": export.created_at.isoformat(),
        "created_by": export.created_by.username if export.created_by else None,
        "file": name,
        "pii": redactor.manifest(),
        "ai_judgements": ai.manifest() if ai else {"mode": "none"},
    }
    if selection is not None:
        manifest["length"] = selection.manifest()
    with transaction.atomic():
        # Rows the PII policy left out were read all the same: the progress reaches the total.
        _finish(
            export,
            done=done + redactor.rows_dropped,
            rows=rows,
            digest=digest.hexdigest(),
            name=name,
            manifest=manifest,
        )


def _finish(export: Export, *, done: int, rows: int, digest: str, name: str, manifest: dict) -> None:
    finished = _this_run(export).update(
        status=Export.Status.DONE,
        progress=done,
        row_count=rows,
        sha256=digest,
        file=name,
        manifest=manifest,
        finished_at=timezone.now(),
        touched_at=timezone.now(),
    )
    if not finished:
        transaction.on_commit(lambda: default_storage.delete(name))
        return
    webhooks_notify(project_id=export.project_id, event="export.finished", payload=manifest)
