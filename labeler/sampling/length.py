"""Candidates of comparable length: what a project's length settings add to a request, and the outlier rule.

A project may ask for answers of about N words (an instruction at the end of the system
message), cap every candidate's tokens, and resample its longest candidate once when that one
is more than a bound times the median length of the others. What was done is recorded in each
candidate's `params` (`length_control`, `length_resample`), so leads see it and native export
rows carry it. Pure: no Django.
"""

from statistics import median


def length_instruction(words: int | None) -> str:
    return f"Answer in about {words} words." if words else ""


def with_length_instruction(messages: list[dict], words: int | None) -> list[dict]:
    """The messages with the length instruction at the end of the system message (a new one if there is none)."""
    instruction = length_instruction(words)
    if not instruction:
        return messages
    if messages and messages[0]["role"] == "system":
        first = messages[0]
        return [{**first, "content": f"{first['content']}\n\n{instruction}"}, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]


def capped_max_tokens(endpoint_max: int, project_max: int | None) -> int:
    """The tokens a candidate may take: the endpoint's limit, lowered by the project's cap."""
    return min(endpoint_max, project_max) if project_max else endpoint_max


def length_control(*, words: int | None, max_tokens: int | None) -> dict | None:
    """What a candidate records of the length settings it was sampled under; None when there were none."""
    if not words and not max_tokens:
        return None
    return {"instruction": length_instruction(words) or None, "max_tokens": max_tokens}


def length_outlier(lengths: dict[int, int], *, ratio: float) -> int | None:
    """The key of the longest candidate when it is more than `ratio` times the median of the others, else None.

    Of equally long candidates the first key is the longest; others all empty make any
    non-empty longest one an outlier.
    """
    if len(lengths) < 2:
        return None
    longest = max(lengths, key=lambda key: (lengths[key], -key))
    others = median(length for key, length in lengths.items() if key != longest)
    return longest if lengths[longest] > ratio * others else None
