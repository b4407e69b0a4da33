"""A conversation's message tree, walked from its root down to the message a comparison asks about."""

from collections.abc import Mapping

from django.db import connection


def message_path(messages: Mapping[int, tuple[int | None, str, str]], message_id: int | None) -> list[dict]:
    """Chat messages from the root down to `message_id`; `messages` maps id to (parent id, role, content)."""
    chain = []
    while message_id is not None:
        parent_id, role, content = messages[message_id]
        chain.append({"role": role, "content": content})
        message_id = parent_id
    return chain[::-1]


# The ranking page asks for this on every "next": one statement, without the ORM's compiling.
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
