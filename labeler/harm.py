"""The harm taxonomy that red-team rankings, moderation reviews and model audits share.

The categories follow the ones that model providers' usage policies name; a project may
replace them (`Project.harm_categories`), but these keys are what ships.
"""

HARM_CATEGORIES = [
    {"key": "hate", "label": "Hate"},
    {"key": "harassment", "label": "Harassment"},
    {"key": "violence", "label": "Violence"},
    {"key": "self_harm", "label": "Self-harm"},
    {"key": "sexual", "label": "Sexual"},
    {"key": "illegal_activity", "label": "Illegal activity"},
    {"key": "malware", "label": "Malware / cyber"},
    {"key": "privacy", "label": "Privacy"},
]

ATTACK_TACTICS = [
    {"key": "role_play", "label": "Role-play"},
    {"key": "hypothetical", "label": "Hypothetical"},
    {"key": "obfuscation", "label": "Obfuscation"},
    {"key": "multi_turn", "label": "Multi-turn build-up"},
    {"key": "prompt_injection", "label": "Prompt injection"},
    {"key": "other", "label": "Other"},
]


def default_harm_categories() -> list[dict]:
    return [dict(category) for category in HARM_CATEGORIES]
