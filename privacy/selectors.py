"""Reads of personal data that serve requests; the project comes from a membership-checking selector."""

from django.db import connection
from django.db.models import Count

from labeler.models import Candidate, Message, Project
from privacy.highlight import ShownSpan
from privacy.models import PiiScan, PiiSpan


def scan_progress(*, project: Project) -> dict:
    """How many of the project's texts the background scan has read, and what it found, by type."""
    texts = (
        Message.objects.filter(conversation__project=project).count()
        + Candidate.objects.filter(comparison__project=project).count()
    )
    scanned = PiiScan.objects.filter(project=project).count()
    by_type: dict[str, dict[str, int]] = {}
    counted = PiiSpan.objects.filter(project=project).values("entity_type", "status").annotate(n=Count("id"))
    for row in counted:
        by_type.setdefault(row["entity_type"], {})[row["status"]] = row["n"]
    return {"texts": texts, "scanned": scanned, "by_type": dict(sorted(by_type.items()))}


# One statement for the ranking screen: the conversation's messages (to walk the path the screen
# shows) with their spans, then the spans of the comparison's candidates.
_SCREEN = """
SELECT 'message', m.id, m.parent_id, c.prompt_message_id, s.id, s.entity_type, s.start, s."end", s.status
FROM labeler_comparison c JOIN labeler_message m ON m.conversation_id = c.conversation_id
LEFT JOIN privacy_piispan s ON s.message_id = m.id AND s.status <> 'dismissed'
WHERE c.id = %s
UNION ALL
SELECT 'candidate', ca.id, NULL, NULL, s.id, s.entity_type, s.start, s."end", s.status
FROM labeler_candidate ca JOIN privacy_piispan s ON s.candidate_id = ca.id AND s.status <> 'dismissed'
WHERE ca.comparison_id = %s
"""


def screen_spans(*, comparison_id: int) -> tuple[list[int], dict[int, list[ShownSpan]], dict[int, list[ShownSpan]]]:
    """For the ranking screen: the ids of the messages from the root to the prompt (as the screen lists
    them), and the spans not dismissed of those messages and of the comparison's candidates."""
    with connection.cursor() as cursor:
        cursor.execute(_SCREEN, [comparison_id, comparison_id])
        rows = cursor.fetchall()
    parents, prompt_id = {}, None
    by_message: dict[int, list[ShownSpan]] = {}
    by_candidate: dict[int, list[ShownSpan]] = {}
    for kind, text_id, parent_id, prompt, span_id, entity_type, start, end, status in rows:
        if kind == "message":
            parents[text_id], prompt_id = parent_id, prompt
        if span_id is not None:
            shown = ShownSpan(span_id, entity_type, start, end, status)
            (by_message if kind == "message" else by_candidate).setdefault(text_id, []).append(shown)
    path, message_id = [], prompt_id
    while message_id is not None:
        path.append(message_id)
        message_id = parents[message_id]
    return path[::-1], by_message, by_candidate
