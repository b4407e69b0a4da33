"""Personal data highlighted in a text for the ranking screen, safely.

A text with spans is shown as its plain text, not its markdown: the raw text is cut at the spans'
offsets, each piece is escaped, and each span is wrapped in a `<mark>` whose attributes are built
from integers and fixed names only. Marks put into rendered markdown would have to map offsets of
the raw text onto HTML that markdown moved, dropped or turned into attributes (a link's address);
a mark inside an attribute would be an injection. Texts without spans keep their markdown.
"""

from dataclasses import dataclass
from html import escape

from privacy.entities import label


@dataclass(frozen=True)
class ShownSpan:
    id: int
    entity_type: str
    start: int
    end: int
    status: str


def highlight(text: str, spans: list[ShownSpan]) -> str:
    """HTML of `text` with its spans marked; a span overlapping an earlier one is left out (it is rarely shorter)."""
    pieces, position = ['<pre class="plain-text pii-text">'], 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.start < position or span.end > len(text):
            continue
        kind = escape(span.entity_type)
        pieces += [
            escape(text[position : span.start]),
            f'<mark class="pii pii-{escape(span.status)}" tabindex="0" data-span="{int(span.id)}" data-type="{kind}"'
            f' title="{escape(label(span.entity_type))} ({escape(span.status)})">',
            escape(text[span.start : span.end]),
            "</mark>",
        ]
        position = span.end
    pieces += [escape(text[position:]), "</pre>"]
    return "".join(pieces)
