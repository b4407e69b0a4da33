"""A conversation's message tree, walked from its root down to the message a comparison asks about."""

from django.db import connection

from labeler.models import Message
from ranklab.message_tree import message_path

# Sampling, judging and adjudication ask for this (the ranking page reads its conversation with
# privacy.selectors.screen_spans): one statement, without the ORM's compiling.
_CONVERSATION_OF_COMPARISON = """
SELECT c.prompt_message_id, m.id, m.parent_id, m.role, m.content
FROM labeler_comparison c JOIN labeler_message m ON m.conversation_id = c.conversation_id
WHERE c.id = %s"""


def comparison_messages(*, comparison_id: int) -> list[dict]:
    """The conversation from its root down to the comparison's prompt message, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(_CONVERSATION_OF_COMPARISON, [comparison_id])
        rows = cursor.fetchall()
    messages = {message_id: (parent_id, role, content) for _, message_id, parent_id, role, content in rows}
    return message_path(messages, rows[0][0] if rows else None)


def comparisons_messages(*, comparison_ids) -> dict[int, list[dict]]:
    """`comparison_messages` of several comparisons (a page of them), in one query."""
    ids = sorted(set(comparison_ids))
    if not ids:
        return {}
    rows = Message.objects.filter(conversation__comparisons__id__in=ids).values_list(
        "conversation__comparisons__id",
        "conversation__comparisons__prompt_message_id",
        "id",
        "parent_id",
        "role",
        "content",
    )
    messages: dict[int, dict] = {}
    prompts: dict[int, int] = {}
    for comparison_id, prompt_id, message_id, parent_id, role, content in rows:
        prompts[comparison_id] = prompt_id
        messages.setdefault(comparison_id, {})[message_id] = (parent_id, role, content)
    return {comparison_id: message_path(messages[comparison_id], prompts[comparison_id]) for comparison_id in prompts}
