from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """A share as a percentage with one decimal; a dash when there is none."""
    return "—" if value is None else f"{value * 100:.1f} %"


@register.filter
def signed_percent(value) -> str:
    return "—" if value is None else f"{value * 100:+.1f} pts"


@register.filter
def interval(bounds) -> str:
    """A 95 % interval as `low–high %`."""
    return "" if not bounds else f"{bounds[0] * 100:.1f}–{bounds[1] * 100:.1f} %"
