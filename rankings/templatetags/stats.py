from django import template

register = template.Library()


@register.filter
def pct(value, digits: int = 1) -> str:
    """0.7261 → "72.6%"; a missing figure → "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def num(value, digits: int = 2) -> str:
    """A figure to `digits` decimals; a missing one → "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.{int(digits)}f}"


@register.filter
def points(value) -> str:
    """A difference of shares in percentage points: 0.273 → "+27 pts"; a missing one → "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:+.0f} pts"
