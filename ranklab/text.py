"""Counted nouns in messages. Pure."""


def counted(count: int, singular: str, plural: str = "") -> str:
    """ "1 problem", "2 problems": the count with its noun agreeing (`plural` when not singular + "s")."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"
