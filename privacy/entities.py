"""The kinds of personal data RankLab looks for, and how sure a detection must be to act on it alone.

Pure: no Django. Scores are Presidio's (0..1): its pattern recognizers with a checksum or a strict
shape score 1.0, the phone recognizer 0.4 (more with a context word such as "call" or "phone"),
spaCy's named entities 0.85.
"""

import re

# Patterns: checked by shape, checksum or a phone-number library.
PATTERN_ENTITIES = frozenset(
    {
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "CREDIT_CARD",
        "IBAN_CODE",
        "IP_ADDRESS",
        "URL_CREDENTIALS",
        "US_SSN",
        "US_ITIN",
        "US_PASSPORT",
        "US_BANK_NUMBER",
        "US_DRIVER_LICENSE",
        "UK_NHS",
        "UK_NINO",
        "IN_PAN",
        "IN_AADHAAR",
        "AU_TFN",
        "AU_MEDICARE",
        "SG_NRIC_FIN",
        "ES_NIF",
        "ES_NIE",
        "IT_FISCAL_CODE",
        "PL_PESEL",
        "FI_PERSONAL_IDENTITY_CODE",
        "CRYPTO",
    }
)
# Named entities, from spaCy's small English model.
NER_ENTITIES = frozenset({"PERSON", "LOCATION"})
DETECTED_ENTITIES = PATTERN_ENTITIES | NER_ENTITIES

# Spans below this are not stored: Presidio's weakest patterns (any nine digits as a social security
# number, 0.05; any letter and digits as a driver's licence, 0.3) would bury the rest.
STORE_FLOOR = 0.35
# A name or place the model found where it cannot be trusted alone (a place naming a kind of thing,
# an English model reading another language): stored and highlighted for trainers, acting in exports
# only once a trainer confirms it, since the redact thresholds lie above the store floor.
NER_SUGGESTED_SCORE = STORE_FLOOR

LABELS = {
    "EMAIL_ADDRESS": "e-mail address",
    "PHONE_NUMBER": "phone number",
    "CREDIT_CARD": "credit card number",
    "IBAN_CODE": "IBAN",
    "IP_ADDRESS": "IP address",
    "URL_CREDENTIALS": "URL with credentials",
    "US_SSN": "US social security number",
    "PERSON": "person's name",
    "LOCATION": "place",
}


def label(entity_type: str) -> str:
    return LABELS.get(entity_type, entity_type.replace("_", " ").lower())


def placeholder(entity_type: str, number: int) -> str:
    """The text that stands for the `number`-th distinct value of a type in a conversation."""
    return f"<{entity_type}_{number}>"


_SEPARATORS = re.compile(r"[\s\-().]+")


def normal_form(entity_type: str, value: str) -> str:
    """What two spellings of one value share: "+1 415 555 0132" and "+1-415-555-0132" are one number."""
    value = value.casefold()
    if entity_type in NER_ENTITIES:
        return " ".join(value.split())
    return _SEPARATORS.sub("", value)
