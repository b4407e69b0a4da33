"""The ranking screen's and the chat's texts with their personal data marked (privacy.highlight), for
rankings' views. Templates show a text through privacy/_pii_text.html, which static/js/pii.js reads."""

from django.utils.safestring import SafeString

from privacy.highlight import highlight
from privacy.selectors import screen_spans, spans_of_texts
from ranklab.markdown import render_markdown_many


def screen_conversation(*, comparison_id: int, cards: list[dict]) -> list[dict]:
    """The conversation from its root down to the comparison's prompt, as the screen shows it, from
    one statement with the spans of its texts.

    Each message and card gets the id the screen's script names it by and its `html`: marked
    (`pii_html`) where it has spans, its markdown otherwise, every text's from one cache read.
    """
    path, by_message, by_candidate = screen_spans(comparison_id=comparison_id)
    messages = []
    for message_id, role, content in path:
        message = {"role": role, "content": content, "pii_target": f"message:{message_id}"}
        if spans := by_message.get(message_id):
            message["pii_html"] = SafeString(highlight(content, spans))
        messages.append(message)
    for card in cards:
        card["pii_target"] = f"candidate:{card['id']}"
        if spans := by_candidate.get(card["id"]):
            card["pii_html"] = SafeString(highlight(card["text"], spans))
    texts = [(message, message["content"]) for message in messages] + [(card, card["text"]) for card in cards]
    rendered = render_markdown_many(text for item, text in texts if "pii_html" not in item)
    for item, text in texts:
        item["html"] = item.get("pii_html") or SafeString(rendered.get(text, ""))
    return messages


def texts_mark(*, messages=(), candidates=()) -> None:
    """Give each message and candidate (model instances) its `pii_target` and, where it has spans, its `pii_html`."""
    messages, candidates = list(messages), list(candidates)
    by_message, by_candidate = spans_of_texts(
        message_ids=[message.id for message in messages], candidate_ids=[candidate.id for candidate in candidates]
    )
    for message in messages:
        message.pii_target = f"message:{message.id}"
        if spans := by_message.get(message.id):
            message.pii_html = SafeString(highlight(message.content, spans))
    for candidate in candidates:
        candidate.pii_target = f"candidate:{candidate.id}"
        if spans := by_candidate.get(candidate.id):
            candidate.pii_html = SafeString(highlight(candidate.text, spans))
