"""Markdown from untrusted sources (guidelines, prompts, model output) to safe HTML, in bounded time.

Raw HTML in the source is shown as text, never passed through; nh3 then strips anything
dangerous that markdown itself can produce (e.g. `javascript:` links). Some inputs make
markdown parsing superlinear (thousands of `[`, `![` or `*_`, a table thousands of columns
wide): the parser checks a deadline as it goes, and a text it cannot format within the budget,
or nested deeper than it formats, is shown as escaped plain text with a note, so that no text
is ever hidden. Each distinct text is rendered once and cached by its content hash.
"""

import hashlib
import logging
import re
import time
from collections.abc import Iterable
from html import escape

import nh3
from django.core.cache import cache
from markdown_it import MarkdownIt
from markdown_it.rules_block import table as _table
from markdown_it.token import Token

logger = logging.getLogger(__name__)

# Parsing stops at this deadline; what comes before the first check and the plain-text fallback
# take the rest of the roughly 50 ms a text may cost.
RENDER_BUDGET_SECONDS = 0.04
MAX_NESTING = 100
# A block rule (a table's rows, a list) runs to its end between two deadline checks: with at
# most this many lines, none takes a noticeable part of the budget.
MAX_LINES = 5_000
# The table rule makes every cell of a table in one call: a bigger table is shown as its text.
MAX_TABLE_CELLS = 2_000
# A new rendering rule changes the version, so that no page shows HTML cached by an older one.
_CACHE_VERSION = 1
_CACHE_SECONDS = 30 * 24 * 3600

_ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "code": {"class"},
    "th": {"style"},
    "td": {"style"},
    "span": {"class"},
}
_LOOKS_LIKE_URL = re.compile(
    r"(?:[a-z][a-z0-9+.-]*:/*)?(?:www\.)?(?:[\w-]+\.)+[a-z]{2,}(?::\d+)?(?:[/?#]\S*)?", re.IGNORECASE
)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:/*", re.IGNORECASE)


class _Unbounded(Exception):
    """The text cannot be formatted within the budget, or without hiding some of it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def render_markdown(text: str | None) -> str:
    """Sanitised HTML of `text`, from the cache when this exact text was rendered before."""
    return render_markdown_many([text]).get(text, "") if text else ""


def render_markdown_many(texts: Iterable[str | None]) -> dict[str, str]:
    """`render_markdown` of each text, by text: one cache read for them all, one write for those rendered here.

    A ranking page shows five texts or more: one round trip to the cache instead of one per text.
    """
    keys = {
        f"markdown:{_CACHE_VERSION}:{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()}": text
        for text in texts
        if text
    }
    # The cache is a saving, never a need: with Redis away the texts are rendered here and now.
    try:
        cached = cache.get_many(keys)
    except Exception:
        return {text: render_markdown_uncached(text) for text in keys.values()}
    rendered = {key: render_markdown_uncached(text) for key, text in keys.items() if key not in cached}
    if rendered:
        try:
            cache.set_many(rendered, _CACHE_SECONDS)
        except Exception:
            logger.warning("Rendered markdown not cached: the cache is unreachable", exc_info=True)
    return {keys[key]: html for key, html in (cached | rendered).items()}


def render_markdown_uncached(text: str, *, budget: float = RENDER_BUDGET_SECONDS) -> str:
    """Sanitised HTML of `text` within about `budget` seconds, else the text escaped with a note."""
    env = {"deadline": time.perf_counter() + budget}
    if (lines := text.count("\n") + 1) > MAX_LINES:
        return _plain(text, f"it has {lines:,} lines, more than the {MAX_LINES:,} formatted")
    try:
        tokens = _markdown.parse(text, env)
        _check_deadline(env)
        _show_link_targets(tokens)
        html = _markdown.renderer.render(tokens, _markdown.options, env)
        _check_deadline(env)
    except _Unbounded as unbounded:
        return _plain(text, unbounded.reason)
    except RecursionError:
        return _plain(text, "it is nested too deeply to format")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def _plain(text: str, reason: str) -> str:
    return (
        f'<p class="render-note">Shown as plain text: {escape(reason)}.</p><pre class="plain-text">{escape(text)}</pre>'
    )


def _check_deadline(env: dict) -> None:
    if time.perf_counter() > env["deadline"]:
        raise _Unbounded("it takes too long to format")


def _block_guard(state, start_line: int, end_line: int, silent: bool) -> bool:
    """Runs before the block rules at each line: the deadline, and nesting the parser would cut off."""
    _check_deadline(state.env)
    # At the limit markdown-it drops the rest of the text: show all of it as plain text instead.
    # One rule opens at most two levels (a list and its item) before parsing what is inside.
    if state.level + 2 >= MAX_NESTING:
        raise _Unbounded("it is nested too deeply to format")
    return False


def _bounded_table(state, start_line: int, end_line: int, silent: bool) -> bool:
    if silent or not _table(state, start_line, end_line, True):
        return _table(state, start_line, end_line, silent)
    columns = state.getLines(start_line + 1, start_line + 2, state.blkIndent, False).count("|") + 1
    last = start_line + 2
    while last < end_line and not state.isEmpty(last):
        last += 1
    if (last - start_line) * columns > MAX_TABLE_CELLS:
        return False
    return _table(state, start_line, end_line, silent)


def _inline_guard(state, silent: bool) -> bool:
    """Runs before the inline rules at each position, also while link labels are looked ahead."""
    _check_deadline(state.env)
    return False


def _inline_post_guard(state) -> None:
    _check_deadline(state.env)


def _image_as_link(renderer, tokens: list[Token], index: int, options, env) -> str:
    """An image is shown as a link to it, its alt text visible: nothing is fetched from the page."""
    token = tokens[index]
    alt = "".join(child.content for child in token.children or [])
    src = escape(token.attrGet("src") or "")
    return f'<a href="{src}">{escape(alt) or "image"}</a> <span class="link-target">(image)</span>'


def _show_link_targets(tokens: list[Token]) -> None:
    """A link whose text looks like a URL but points elsewhere also shows where it points."""
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        children, index = block.children, 0
        while index < len(children):
            if children[index].type == "link_open":
                opening, index = children[index], index + 1
                text = []
                while index < len(children) and children[index].type != "link_close":
                    text.append(children[index].content)
                    index += 1
                href = str(opening.attrGet("href") or "")
                shown = _markdown.normalizeLinkText(href)
                if _misleading("".join(text), shown) and index < len(children):
                    note = Token("html_inline", "", 0)
                    note.content = f' <span class="link-target">(links to {escape(shown)})</span>'
                    children.insert(index + 1, note)
            index += 1


def _misleading(text: str, target: str) -> bool:
    text = text.strip()
    if not _LOOKS_LIKE_URL.fullmatch(text):
        return False
    return _comparable(text) != _comparable(target)


def _comparable(url: str) -> str:
    bare = _SCHEME.sub("", url.strip()).rstrip("/")
    host, slash, rest = bare.partition("/")
    return host.lower().removeprefix("www.") + slash + rest


_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "maxNesting": MAX_NESTING})
    .enable("table")
    .enable("strikethrough")
)
_markdown.block.ruler.at("table", _bounded_table, {"alt": ["paragraph", "reference"]})
_markdown.block.ruler.before("table", "ranklab_guard", _block_guard)
_markdown.inline.ruler.before("text", "ranklab_guard", _inline_guard)
_markdown.inline.ruler2.before("balance_pairs", "ranklab_guard", _inline_post_guard)
_markdown.add_render_rule("image", _image_as_link)
