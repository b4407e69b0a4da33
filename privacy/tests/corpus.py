"""Conversations with planted personal data of every supported kind, and look-alikes that are not.

Each text is written with `{type:value}` markers: `planted` strips them and says where each value
is. Look-alikes are written plainly and listed in `LOOKALIKES`: nothing in them may be flagged.
A four-part version number is written after a word that says so ("version 1.2.3.4"): to a pattern
it is an IPv4 address, and only those words tell it apart (privacy.detection).
"""

import re
from dataclasses import dataclass

from privacy.entities import NER_ENTITIES

_MARK = re.compile(r"\{([A-Z_]+):([^}]+)\}")


@dataclass(frozen=True)
class Planted:
    entity_type: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Text:
    conversation: str
    role: str
    text: str
    planted: tuple[Planted, ...]


CONVERSATIONS = {
    "support-1": [
        (
            "user",
            "Hi, I'm {PERSON:Maria Garcia}. Please reply to {EMAIL_ADDRESS:maria.garcia@example.org} about my refund.",
        ),
        ("assistant", "Of course. I will write to {EMAIL_ADDRESS:maria.garcia@example.org} once the refund is issued."),
        ("user", "You can also call me on {PHONE_NUMBER:+1 415-555-0132} after 5pm."),
    ],
    "support-2": [
        ("user", "My card {CREDIT_CARD:4111 1111 1111 1111} was charged twice for order #A-20391."),
        ("user", "The second card is {CREDIT_CARD:5500-0000-0000-0004}, please check that one too."),
        ("user", "Amex {CREDIT_CARD:378282246310005} was refused at checkout yesterday."),
        ("user", "Try the Discover card {CREDIT_CARD:6011111111111117} instead."),
    ],
    "bank-1": [
        ("user", "Send the deposit to IBAN {IBAN_CODE:DE89370400440532013000} before Friday."),
        ("user", "My UK account is {IBAN_CODE:GB82 WEST 1234 5698 7654 32} for the salary."),
        ("user", "For the rent use {IBAN_CODE:FR1420041010050500013M02606} as usual."),
    ],
    "ops-1": [
        ("user", "The server at {IP_ADDRESS:203.0.113.45} keeps dropping connections on port 8080."),
        ("user", "Our office router is {IP_ADDRESS:192.168.1.20} and the VPN gateway is {IP_ADDRESS:198.51.100.7}."),
        ("user", "The IPv6 address {IP_ADDRESS:2001:db8::8a2e:370:7334} answers pings but not HTTP."),
        ("user", "Why does {URL_CREDENTIALS:https://admin:hunter2@db.example.com/console} give me a 403?"),
        ("user", "Backups go to {URL_CREDENTIALS:ftp://backup:s3cr3tpass@files.example.org/nightly} every night."),
    ],
    "tax-1": [
        ("user", "My social security number is {US_SSN:536-22-8726}, can you fill in the form?"),
        ("user", "My SSN: {US_SSN:432-71-5590}. Is it safe to put it on the W-4?"),
        ("user", "Fill in SSN {US_SSN:601-44-2871} for my spouse as well."),
    ],
    "ids-1": [
        ("user", "My national insurance number is {UK_NINO:AB123456C}."),
        ("user", "PAN card: {IN_PAN:ABCPE1234F}, please validate it."),
        ("user", "My Aadhaar is {IN_AADHAAR:2345 6789 0124}."),
        ("user", "Spanish NIF {ES_NIF:12345678Z} for the invoice."),
        ("user", "Il mio codice fiscale è {IT_FISCAL_CODE:RSSMRA85T10A562S}."),
        ("user", "PESEL number {PL_PESEL:44051401359} for the registration."),
    ],
    "travel-1": [
        ("user", "{PERSON:John Smith} and I are flying from {LOCATION:Lisbon} to {LOCATION:Nairobi} next week."),
        (
            "assistant",
            "Here is a plan for you and {PERSON:John Smith} in {LOCATION:Nairobi}: start with the national park.",
        ),
        ("user", "My colleague {PERSON:Priya Natarajan} will join us in {LOCATION:Paris}."),
        ("user", "Write a birthday note to {PERSON:Tom Becker} from {EMAIL_ADDRESS:tom.becker@mail.example.com}."),
    ],
    "mixed-1": [
        (
            "user",
            "Contact {PERSON:Elena Rossi} at {EMAIL_ADDRESS:elena.rossi@example.net} or "
            "{PHONE_NUMBER:+44 20 7946 0958}; her card ending 1111 is {CREDIT_CARD:4111-1111-1111-1111}.",
        ),
        ("user", "Call me at {PHONE_NUMBER:(212) 555-0187} or email {EMAIL_ADDRESS:j.doe+ranklab@mail.example.co.uk}."),
        ("user", "Phone: {PHONE_NUMBER:+49 30 901820}, fax is the same."),
        ("user", "Reach the front desk by phone at {PHONE_NUMBER:+33 1 42 68 53 00}."),
    ],
    # Names from many places, in English sentences: the small model misses some and calls others places.
    "travel-2": [
        ("user", "{PERSON:Giulia Bianchi} lives in {LOCATION:Turin} and works from home."),
        ("user", "Dr. {PERSON:Amara Okafor} moved to {LOCATION:Leeds} last spring."),
        ("user", "Please write to {PERSON:Siobhan Ni Bhriain} in {LOCATION:Galway} today."),
        ("user", "Call {PERSON:Nguyen Van Minh} in {LOCATION:Hanoi} tomorrow morning."),
        ("user", "Send the parcel to {PERSON:Olusegun Adeyemi} in {LOCATION:Ibadan}."),
        ("user", "Ship it to {PERSON:Kenji Watanabe}, 4-2-8 Shibakoen, {LOCATION:Tokyo}."),
        ("user", "Please ask {PERSON:Tim Cook} about the Apple Watch."),
        ("user", "{PERSON:Jordan} scored 30 points in the Chicago game."),
    ],
    # Other languages: the English model's names and places there are suggestions for trainers only.
    "languages-1": [
        ("user", "Mi chiamo {PERSON:Giulia Bianchi} e abito a {LOCATION:Torino}."),
        ("user", "Je m'appelle {PERSON:Pierre Dubois}, j'habite à {LOCATION:Lyon}."),
    ],
}

# Texts with nothing personal in them, only things that look like it.
LOOKALIKES = [
    "The book's ISBN is 978-3-16-148410-0 and the older edition has ISBN 0-306-40615-2.",
    "Your order number 1048576 ships tomorrow; tracking 1Z999AA10123456784.",
    "Upgrade to version 1.2.3.4 of the firmware; v2.10.0.1 had a memory leak.",
    "Release 3.4.5.6 fixes it. Pin django==5.2.19 and numpy 2.4.6 in requirements.txt.",
    "The build id is 3f2a9c1e and the request id 550e8400-e29b-41d4-a716-446655440000.",
    "Use the colour #ff8800, set the timeout to 8080 ms, and round pi to 3.14159.",
    "Invoice #2024-0042 totals 1,250.00 EUR, due in 30 days.",
    "Error 503 on line 1024 of parser.py, see issue 4821 on the tracker.",
    "Multiply 123456789 by 987654321 and give the result in scientific notation.",
    "Write a haiku about autumn leaves falling on a quiet river.",
    # Brands, places naming a kind of thing, and other languages: what a small English model takes for names.
    "Add the Visa card to Apple Wallet before the trip.",
    "The Kyoto Protocol set limits on emissions.",
    "Our New York office ships the Amazon orders on Mondays.",
    "Ask Siri to set a timer for ten minutes.",
    "Das Wetter ist heute schön, wir gehen im Park spazieren.",
    "Mi piace molto la pizza con il basilico fresco.",
]


def planted(marked: str) -> tuple[str, tuple[Planted, ...]]:
    """The text without its markers, and where each marked value is in it."""
    out, found, position = [], [], 0
    for match in _MARK.finditer(marked):
        out.append(marked[position : match.start()])
        start = sum(len(part) for part in out)
        entity_type, value = match.groups()
        out.append(value)
        found.append(Planted(entity_type, value, start, start + len(value)))
        position = match.end()
    out.append(marked[position:])
    return "".join(out), tuple(found)


def texts() -> list[Text]:
    """Every text of the corpus: the planted conversations, then the look-alikes (one conversation each)."""
    result = []
    for conversation, turns in CONVERSATIONS.items():
        for role, marked in turns:
            text, found = planted(marked)
            result.append(Text(conversation, role, text, found))
    for number, text in enumerate(LOOKALIKES):
        result.append(Text(f"lookalike-{number}", "user", text, ()))
    return result


def planted_values() -> set[str]:
    return {span.value for text in texts() for span in text.planted}


def evaluate(corpus: list[Text], found: list[list], *, threshold: float, ner_threshold: float) -> dict[str, dict]:
    """Recall and precision per type of the spans (`entity_type`, `start`, `end`, `score`) found in each text.

    A span is a detection when it acts in an export on its own: it scores at least `threshold`
    (`ner_threshold` for names and places). Below that, down to the store floor, it is a suggestion:
    highlighted for trainers, counted apart (`suggested`), neither recalling nor wrong. A detection is
    correct when it overlaps a planted value of its type; for names and places `precision_as_personal`
    also counts a name taken for a place (or the reverse): redacted all the same, only labelled wrong.
    """
    figures: dict[str, dict] = {}

    def of(entity_type: str) -> dict:
        return figures.setdefault(
            entity_type, {"planted": 0, "recalled": 0, "found": 0, "correct": 0, "personal": 0, "suggested": 0}
        )

    def overlap(a, b) -> bool:
        return a.start < b.end and b.start < a.end

    for text, spans in zip(corpus, found, strict=True):
        detections = []
        for span in spans:
            if span.score >= (ner_threshold if span.entity_type in NER_ENTITIES else threshold):
                detections.append(span)
            else:
                of(span.entity_type)["suggested"] += 1
        for plant in text.planted:
            of(plant.entity_type)["planted"] += 1
            if any(span.entity_type == plant.entity_type and overlap(span, plant) for span in detections):
                of(plant.entity_type)["recalled"] += 1
        for span in detections:
            counts = of(span.entity_type)
            counts["found"] += 1
            if any(span.entity_type == plant.entity_type and overlap(span, plant) for plant in text.planted):
                counts["correct"] += 1
            kinds = NER_ENTITIES if span.entity_type in NER_ENTITIES else {span.entity_type}
            if any(plant.entity_type in kinds and overlap(span, plant) for plant in text.planted):
                counts["personal"] += 1
    for entity_type, counts in figures.items():
        counts["recall"] = round(counts["recalled"] / counts["planted"], 3) if counts["planted"] else None
        counts["precision"] = round(counts["correct"] / counts["found"], 3) if counts["found"] else None
        if entity_type in NER_ENTITIES:
            counts["precision_as_personal"] = (
                round(counts["personal"] / counts["found"], 3) if counts["found"] else None
            )
    return dict(sorted(figures.items()))
