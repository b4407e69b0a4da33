from django import template
from django.utils.safestring import SafeString

from labeler.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Render untrusted markdown; the output of `render_markdown` is sanitized by nh3."""
    return SafeString(render_markdown(text or ""))
