"""Importing conversations into a project: validate the whole file, then write it at once."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.db import transaction

from labeler.errors import RankLabError
from labeler.importers import ImportInvalid, ImportLimits, ImportProblem, ParsedConversation, parse_conversations
from labeler.models import Candidate, Comparison, Conversation, Message, Project
from labeler.tasks import enqueue_sampling

_BATCH = 2000

Progress = Callable[[int, int], None]


class ImportFailed(RankLabError):
    def __init__(self, problems: list[ImportProblem], *, truncated: bool) -> None:
        self.problems = problems
        self.truncated = truncated
        more = " (and more; only the first ones are listed)" if truncated else ""
        super().__init__(f"The file was not imported: {len(problems)} problem(s){more}. Nothing was written.")


@dataclass(frozen=True)
class ImportResult:
    created: int
    already_present: int
    ready: int
    pending: int

    @property
    def summary(self) -> str:
        text = f"{self.created} new conversation(s)"
        if self.created:
            text += f" ({self.ready} ready to rank, {self.pending} to sample)"
        if self.already_present:
            text += f"; {self.already_present} already imported, left unchanged"
        return text + "."


def import_limits(*, project: Project) -> ImportLimits:
    return ImportLimits(
        k=project.k,
        max_file_bytes=settings.RANKLAB_IMPORT_MAX_FILE_BYTES,
        max_message_chars=settings.RANKLAB_IMPORT_MAX_MESSAGE_CHARS,
        max_errors=settings.RANKLAB_IMPORT_MAX_ERRORS,
    )


def conversations_import(
    *, project: Project, source: BinaryIO, user=None, progress: Progress | None = None
) -> ImportResult:
    """Import a JSONL/JSON file into `project`: all of it, or nothing; known ids are left alone."""
    try:
        records = parse_conversations(source, limits=import_limits(project=project))
    except ImportInvalid as invalid:
        raise ImportFailed(invalid.problems, truncated=invalid.truncated) from invalid
    known = _existing_ids(project=project, ids=[record.external_id for record in records])
    new = [record for record in records if record.external_id not in known]
    with transaction.atomic():
        for start in range(0, len(new), _BATCH):
            _write_batch(project=project, records=new[start : start + _BATCH], user=user)
            if progress:
                progress(min(start + _BATCH, len(new)), len(new))
        pending = sum(1 for record in new if not record.candidates)
        if pending:
            enqueue_sampling(project_id=project.id)
    return ImportResult(created=len(new), already_present=len(known), ready=len(new) - pending, pending=pending)


def _existing_ids(*, project: Project, ids: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        known.update(
            Conversation.objects.filter(project=project, external_id__in=chunk).values_list("external_id", flat=True)
        )
    return known


def _write_batch(*, project: Project, records: list[ParsedConversation], user) -> None:
    conversations = Conversation.objects.bulk_create(
        Conversation(project=project, external_id=record.external_id, metadata=record.metadata, created_by=user)
        for record in records
    )
    # The tree is written a level at a time, so each message's parent already has its id.
    last: list[Message | None] = [None] * len(records)
    for depth in range(max(len(record.messages) for record in records)):
        level = [
            (index, Message(conversation=conversations[index], parent=last[index], role=role, content=content))
            for index, record in enumerate(records)
            if depth < len(record.messages)
            for role, content in [record.messages[depth]]
        ]
        created = Message.objects.bulk_create(message for _, message in level)
        for (index, _), message in zip(level, created, strict=True):
            last[index] = message
    comparisons = Comparison.objects.bulk_create(
        Comparison(
            project=project,
            conversation=conversation,
            prompt_message=prompt,
            status=Comparison.Status.READY if record.candidates else Comparison.Status.PENDING,
        )
        for record, conversation, prompt in zip(records, conversations, last, strict=True)
    )
    Candidate.objects.bulk_create(
        Candidate(
            comparison=comparison,
            sample_index=index,
            source=Candidate.Source.IMPORT,
            text=text,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
        )
        for record, comparison in zip(records, comparisons, strict=True)
        for index, text in enumerate(record.candidates)
    )
