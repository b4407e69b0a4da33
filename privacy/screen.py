"""The ranking screen's texts with their personal data marked (privacy.highlight), for rankings' views."""

from django.utils.safestring import SafeString

from privacy.highlight import highlight
from privacy.selectors import screen_spans


def screen_mark(*, comparison_id: int, messages: list[dict], cards: list[dict]) -> None:
    """Give each message and card the id the screen's script names it by and, where it has spans, its marked HTML."""
    path, by_message, by_candidate = screen_spans(comparison_id=comparison_id)
    for message, message_id in zip(messages, path, strict=False):
        message["pii_target"] = f"message:{message_id}"
        if spans := by_message.get(message_id):
            message["pii_html"] = SafeString(highlight(message["content"], spans))
    for card in cards:
        card["pii_target"] = f"candidate:{card['id']}"
        if spans := by_candidate.get(card["id"]):
            card["pii_html"] = SafeString(highlight(card["text"], spans))
