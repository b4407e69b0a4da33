"""A conversation as a tree of messages (parent pointers), walked from a message up to its root."""

from collections.abc import Mapping


def message_path(messages: Mapping[int, tuple[int | None, str, str]], message_id: int | None) -> list[dict]:
    """Chat messages from the root down to `message_id`; `messages` maps id to (parent id, role, content)."""
    chain = []
    while message_id is not None:
        parent_id, role, content = messages[message_id]
        chain.append({"role": role, "content": content})
        message_id = parent_id
    return chain[::-1]
