"""A project's rubric: the attributes a trainer rates each candidate on, besides ranking them.

Pure: the lead writes the rubric as JSON on the settings page; `rubric_parse` checks it as a
whole and names the attribute and field of every mistake. An empty rubric (the default) means
no ratings at all: the ranking screen, exports and statistics are as they were.
"""

import json
import re

from ranklab import untrusted_json
from ranklab.errors import RankLabError

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_ATTRIBUTES = 12
MAX_SCALE_STEPS = 11
MAX_LABEL_CHARS = 60
MAX_GUIDANCE_CHARS = 500
_FIELDS = {"key", "label", "min", "max", "required", "guidance"}

# HelpSteer2's five attributes, each rated 0 to 4 (Wang et al., 2024; the guidance is theirs, shortened).
HELPSTEER2_RUBRIC = [
    {
        "key": "helpfulness",
        "label": "Helpfulness",
        "min": 0,
        "max": 4,
        "required": True,
        "guidance": "Overall helpfulness of the response to the prompt.",
    },
    {
        "key": "correctness",
        "label": "Correctness",
        "min": 0,
        "max": 4,
        "required": True,
        "guidance": "Inclusion of all pertinent facts without errors.",
    },
    {
        "key": "coherence",
        "label": "Coherence",
        "min": 0,
        "max": 4,
        "required": True,
        "guidance": "Consistency and clarity of expression.",
    },
    {
        "key": "complexity",
        "label": "Complexity",
        "min": 0,
        "max": 4,
        "required": True,
        "guidance": "Intellectual depth required to write the response "
        "(basic language competency, or deep domain expertise).",
    },
    {
        "key": "verbosity",
        "label": "Verbosity",
        "min": 0,
        "max": 4,
        "required": True,
        "guidance": "Amount of detail included in the response, relative to what the prompt asks for.",
    },
]


def default_rubric() -> list[dict]:
    return [dict(attribute) for attribute in HELPSTEER2_RUBRIC]


def rubric_format(rubric: list[dict]) -> str:
    """The rubric as the settings page shows it: JSON, one attribute per block."""
    return json.dumps(rubric, indent=2, ensure_ascii=False) if rubric else ""


def rubric_parse(text: str) -> list[dict]:
    """The lead's JSON → the rubric (a list of attributes); empty text is no rubric.

    Raises RankLabError naming the line (malformed JSON) or the attribute and field.
    """
    if not text.strip():
        return []
    try:
        value = untrusted_json.loads(text, max_depth=3)
    except json.JSONDecodeError as error:
        raise RankLabError(f"Rubric line {error.lineno}, column {error.colno}: {error.msg}.") from error
    if not isinstance(value, list):
        raise RankLabError('The rubric must be a JSON list of attributes: [{"key": …, "min": …, "max": …}, …].')
    if len(value) > MAX_ATTRIBUTES:
        raise RankLabError(f"A rubric has at most {MAX_ATTRIBUTES} attributes; this one has {len(value)}.")
    rubric, seen = [], set()
    for number, attribute in enumerate(value, start=1):
        checked = _attribute(attribute, number=number)
        if checked["key"] in seen:
            raise RankLabError(f"Rubric attribute {number}: the key {checked['key']!r} is used twice.")
        seen.add(checked["key"])
        rubric.append(checked)
    return rubric


def _attribute(attribute, *, number: int) -> dict:
    where = f"Rubric attribute {number}"
    if not isinstance(attribute, dict):
        raise RankLabError(f"{where}: write it as an object with a key, min and max.")
    key = attribute.get("key")
    if not isinstance(key, str) or not KEY.match(key):
        raise RankLabError(
            f"{where}: the key {key!r} must start with a lowercase letter and hold only lowercase letters, "
            "digits and underscores (at most 40)."
        )
    where = f"Rubric attribute {number} ({key})"
    if unknown := set(attribute) - _FIELDS:
        raise RankLabError(f"{where}: unknown field {sorted(unknown)[0]!r}; use {', '.join(sorted(_FIELDS))}.")
    low, high = attribute.get("min"), attribute.get("max")
    for name, bound in (("min", low), ("max", high)):
        if not isinstance(bound, int) or isinstance(bound, bool):
            raise RankLabError(f"{where}: {name} must be a whole number.")
        if not -100 <= bound <= 100:
            raise RankLabError(f"{where}: {name} must be between -100 and 100.")
    if high <= low:
        raise RankLabError(f"{where}: max ({high}) must be above min ({low}).")
    if high - low + 1 > MAX_SCALE_STEPS:
        raise RankLabError(
            f"{where}: a scale has at most {MAX_SCALE_STEPS} values; {low}..{high} has {high - low + 1}."
        )
    label = attribute.get("label", key.replace("_", " ").capitalize())
    guidance = attribute.get("guidance", "")
    required = attribute.get("required", False)
    if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL_CHARS:
        raise RankLabError(f"{where}: label must be text of 1 to {MAX_LABEL_CHARS} characters.")
    if not isinstance(guidance, str) or len(guidance) > MAX_GUIDANCE_CHARS:
        raise RankLabError(f"{where}: guidance must be text of at most {MAX_GUIDANCE_CHARS} characters.")
    if not isinstance(required, bool):
        raise RankLabError(f"{where}: required must be true or false.")
    return {
        "key": key,
        "label": label.strip(),
        "min": low,
        "max": high,
        "required": required,
        "guidance": guidance.strip(),
    }
