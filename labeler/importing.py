"""Importing conversations into a project: validate the whole file, then write it at once."""

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from labeler.models import (
    CANDIDATE_STYLE_FIELDS,
    Candidate,
    Comparison,
    Conversation,
    Message,
    Project,
    candidate_style,
)
from labeler.parsing import (
    ImportInvalid,
    ImportLimits,
    ImportOptions,
    ImportProblem,
    ParsedConversation,
    Reject,
    parse_conversations,
)
from labeler.sampling.queueing import enqueue_sampling
from labeler.signals import conversations_imported
from ranklab.background import after_commit
from ranklab.bulk import ids_reserve, rows_insert
from ranklab.errors import RankLabError
from ranklab.text import counted

_BATCH = 5000

Progress = Callable[[int, int], None]


class ImportFailed(RankLabError):
    summary = "The file was not imported"

    def __init__(self, problems: list[ImportProblem], *, truncated: bool) -> None:
        self.problems = problems
        self.truncated = truncated
        more = " (and more; only the first ones are listed)" if truncated else ""
        super().__init__(f"{self.summary}: {counted(len(problems), 'problem')}{more}. Nothing was written.")


@dataclass(frozen=True)
class ImportResult:
    created: int
    already_present: int
    ready: int
    pending: int
    skip_invalid: bool = False
    notes: list[ImportProblem] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.rejects)

    @property
    def summary(self) -> str:
        text = f"{counted(self.created, 'new conversation')}"
        if self.created:
            text += f" ({self.ready} ready to rank, {self.pending} to sample)"
        if self.already_present or self.skip_invalid:
            text += f"; {self.already_present} already imported, left unchanged"
        if self.skip_invalid:
            text += f"; {counted(self.skipped, 'invalid record')} skipped"
        if self.notes:
            text += f"; {counted(len(self.notes), 'empty turn')} kept as empty messages"
        return text + "."


def import_limits(*, project: Project) -> ImportLimits:
    return ImportLimits(
        k=project.k,
        max_file_bytes=settings.RANKLAB_IMPORT_MAX_FILE_BYTES,
        max_message_chars=settings.RANKLAB_IMPORT_MAX_MESSAGE_CHARS,
        max_errors=settings.RANKLAB_IMPORT_MAX_ERRORS,
    )


def conversations_import(
    *,
    project: Project,
    source: BinaryIO,
    user=None,
    progress: Progress | None = None,
    options: ImportOptions | None = None,
) -> ImportResult:
    """Import a JSONL/JSON file into `project`: all of it or nothing, or its valid records with `skip_invalid`.

    Known ids are left alone.
    """
    options = options or ImportOptions()
    try:
        parsed = parse_conversations(source, limits=import_limits(project=project), options=options)
    except ImportInvalid as invalid:
        raise ImportFailed(invalid.problems, truncated=invalid.truncated) from invalid
    records = parsed.conversations
    known = _existing_ids(project=project, ids=[record.external_id for record in records])
    new = [record for record in records if record.external_id not in known]
    with transaction.atomic():
        for start in range(0, len(new), _BATCH):
            _write_batch(project=project, records=new[start : start + _BATCH], user=user)
            if progress:
                progress(min(start + _BATCH, len(new)), len(new))
        pending = sum(1 for record in new if len(record.candidates) < 2)
        if pending:
            enqueue_sampling(project_id=project.id)
        after_commit(conversations_imported.send, sender=Project, project_id=project.id)
    return ImportResult(
        created=len(new),
        already_present=len(known),
        ready=len(new) - pending,
        pending=pending,
        skip_invalid=options.skip_invalid,
        notes=parsed.notes,
        rejects=parsed.rejects,
    )


def rejects_report(rejects: list[Reject]) -> bytes:
    """The reject report: JSON Lines of line (or item), field, reason and the original record."""
    # A lone surrogate in an array item's text is written as its JSON escape, as the file had it.
    return "".join(json.dumps(reject.as_json(), ensure_ascii=False) + "\n" for reject in rejects).encode(
        "utf-8", errors="backslashreplace"
    )


_REPORT_NAME = re.compile(r"[0-9a-f]{32}")


def rejects_report_save(*, project: Project, rejects: list[Reject]) -> str:
    """Keep the reject report of a partial import for the lead to download; returns its key."""
    key = uuid.uuid4().hex
    default_storage.save(_report_path(project=project, key=key), ContentFile(rejects_report(rejects)))
    return key


def rejects_report_open(*, project: Project, key: str):
    """The saved report of `project` under `key`, or None."""
    if not _REPORT_NAME.fullmatch(key):
        return None
    path = _report_path(project=project, key=key)
    return default_storage.open(path, "rb") if default_storage.exists(path) else None


def _report_path(*, project: Project, key: str) -> str:
    return f"imports/{project.id}/rejects-{key}.jsonl"


def _existing_ids(*, project: Project, ids: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        known.update(
            Conversation.objects.filter(project=project, external_id__in=chunk).values_list("external_id", flat=True)
        )
    return known


def _write_batch(*, project: Project, records: list[ParsedConversation], user) -> None:
    """Write the conversations, their message trees, comparisons and candidates, a table at a time."""
    now = timezone.now()
    user_id = user.pk if user else None
    conversation_ids = ids_reserve(Conversation, len(records))
    message_ids = iter(ids_reserve(Message, sum(len(record.messages) for record in records)))
    comparison_ids = ids_reserve(Comparison, len(records))
    conversations, messages, comparisons, candidates = [], [], [], []
    for record, conversation_id, comparison_id in zip(records, conversation_ids, comparison_ids, strict=True):
        conversations.append((conversation_id, project.id, record.external_id, record.metadata, user_id, now))
        parent_id = None
        for role, content in record.messages:
            message_id = next(message_ids)
            messages.append((message_id, conversation_id, parent_id, role, content, now))
            parent_id = message_id
        # One imported reply (a ShareGPT conversation's last turn) is ranked against sampled ones.
        status = Comparison.Status.READY if len(record.candidates) >= 2 else Comparison.Status.PENDING
        comparisons.append((comparison_id, project.id, conversation_id, parent_id, status, "", 0, False, now, now))
        candidates.extend(
            (
                comparison_id,
                index,
                Candidate.Source.IMPORT,
                text,
                "",
                {},
                "",
                hashlib.sha256(text.encode()).hexdigest(),
                False,
                now,
                *candidate_style(text).values(),
            )
            for index, text in enumerate(record.candidates)
        )
    rows_insert(
        Conversation, ["id", "project_id", "external_id", "metadata", "created_by_id", "created_at"], conversations
    )
    rows_insert(Message, ["id", "conversation_id", "parent_id", "role", "content", "created_at"], messages)
    rows_insert(
        Comparison,
        ["id", "project_id", "conversation_id", "prompt_message_id", "status", "failure_reason", "rankings_count",
         "is_gold", "created_at", "updated_at"],
        comparisons,
    )  # fmt: skip
    rows_insert(
        Candidate,
        ["comparison_id", "sample_index", "source", "text", "model_name", "params", "finish_reason", "content_hash",
         "is_duplicate", "created_at", *CANDIDATE_STYLE_FIELDS],
        candidates,
    )  # fmt: skip
