from html import escape

from django import template
from django.utils.safestring import SafeString

from privacy.entities import label
from privacy.review import MARKABLE_ENTITIES

register = template.Library()

# The kinds a trainer picks from most often come first.
_FIRST = ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "LOCATION", "OTHER"]


@register.simple_tag
def pii_type_options() -> SafeString:
    """The `<option>`s of the kinds of personal data a trainer may mark."""
    kinds = _FIRST + [kind for kind in MARKABLE_ENTITIES if kind not in _FIRST]
    names = {kind: "other personal data" if kind == "OTHER" else label(kind) for kind in kinds}
    return SafeString("".join(f'<option value="{escape(kind)}">{escape(names[kind])}</option>' for kind in kinds))
