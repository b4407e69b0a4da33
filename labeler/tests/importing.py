"""Helpers for the import tests: files from literals, and row counts."""

import io
import json

from labeler.models import Candidate, Comparison, Conversation, Message


def jsonl(*records) -> io.BytesIO:
    lines = [r if isinstance(r, (bytes, str)) else json.dumps(r, ensure_ascii=False) for r in records]
    return io.BytesIO(b"\n".join(line.encode() if isinstance(line, str) else line for line in lines) + b"\n")


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def rows_written() -> int:
    return sum(model.objects.count() for model in (Conversation, Message, Comparison, Candidate))
