from html import escape

from django import template
from django.utils.safestring import SafeString

from ranklab.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str | None) -> SafeString:
    """Render untrusted markdown; the output of `render_markdown` is sanitized by nh3."""
    return SafeString(render_markdown(text))


@register.simple_tag
def flag_checkboxes(candidate_id: int, taxonomy: list[dict], checked: set[str]) -> SafeString:
    """One card's flag checkboxes, every value escaped.

    Built here rather than in a template loop, and with the standard library's `escape` rather
    than `format_html`: ten flags on four cards were most of the ranking page's rendering time.
    """
    return SafeString(
        "\n".join(
            f'<label><input type="checkbox" name="flag-{int(candidate_id)}" value="{escape(flag["key"])}"'
            f"{' checked' if flag['key'] in checked else ''}> {escape(flag['label'])}</label>"
            for flag in taxonomy
        )
    )
