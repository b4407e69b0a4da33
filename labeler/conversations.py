"""A conversation's message tree, walked from its root down to the message a comparison asks about."""

from collections.abc import Mapping

from labeler.models import Comparison, Message


def message_path(messages: Mapping[int, tuple[int | None, str, str]], message_id: int | None) -> list[dict]:
    """Chat messages from the root down to `message_id`; `messages` maps id to (parent id, role, content)."""
    chain = []
    while message_id is not None:
        parent_id, role, content = messages[message_id]
        chain.append({"role": role, "content": content})
        message_id = parent_id
    return chain[::-1]


def comparison_messages(*, comparison: Comparison) -> list[dict]:
    """The conversation from its root down to the comparison's prompt message, in one query."""
    messages = {
        message_id: (parent_id, role, content)
        for message_id, parent_id, role, content in Message.objects.filter(
            conversation_id=comparison.conversation_id
        ).values_list("id", "parent_id", "role", "content")
    }
    return message_path(messages, comparison.prompt_message_id)
