"""Any text renders to safe HTML that hides none of it: the hostile and pathological corpus.

How long each takes is measured by `bench/render.py`, not here.
"""

from html.parser import HTMLParser

import pytest

from ranklab.markdown import render_markdown, render_markdown_uncached
from tests.markdown_corpus import ACTIVE, DEEP, PATHOLOGICAL

ALLOWED = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
ATTRIBUTES = {"href", "title", "rel", "start", "class", "style"}


class Structure(HTMLParser):
    """The tags, attributes and visible text of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags, self.attributes, self.text = set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)

    def handle_data(self, data):
        self.text.append(data)


def structure(html: str) -> Structure:
    parsed = Structure()
    parsed.feed(html)
    parsed.close()
    return parsed


def assert_inert(html: str) -> None:
    parsed = structure(html)
    assert parsed.tags <= ALLOWED
    for tag, name, value in parsed.attributes:
        assert name in ATTRIBUTES, (tag, name)
        if name == "href":
            assert value.split(":", 1)[0].lower() in ("http", "https", "mailto") or ":" not in value, value
        if name == "style":
            assert value.startswith("text-align:"), value


@pytest.mark.parametrize("text", list({**ACTIVE, **PATHOLOGICAL}.values()), ids=list({**ACTIVE, **PATHOLOGICAL}))
def test_no_active_content_survives(text):
    assert_inert(render_markdown_uncached(text))


@pytest.mark.parametrize("name", [name for name, text in PATHOLOGICAL.items() if DEEP in text])
def test_no_nesting_depth_hides_text(name):
    html = render_markdown_uncached(PATHOLOGICAL[name])
    assert DEEP in "".join(structure(html).text)


def test_raw_html_is_shown_as_text():
    text = "".join(structure(render_markdown_uncached(ACTIVE["script"])).text)
    assert "<script>alert(1)</script> after" in text


def test_a_text_that_cannot_be_formatted_in_time_is_shown_escaped_with_a_note():
    html = render_markdown_uncached("[" * 1000 + "<b>x</b>", budget=0)
    assert html.startswith('<p class="render-note">Shown as plain text: it takes too long to format.</p>')
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert_inert(html)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("[https://good.example](https://evil.example/x)", "(links to https://evil.example/x)"),
        ("[www.good.example](https://evil.example)", "(links to https://evil.example)"),
        ("[good.example/login](https://evil.example/login)", "(links to https://evil.example/login)"),
    ],
)
def test_a_link_whose_text_looks_like_another_url_shows_where_it_points(text, shown):
    assert shown in "".join(structure(render_markdown_uncached(text)).text)


@pytest.mark.parametrize(
    "text",
    [
        "[https://example.com](https://example.com)",
        "[example.com](https://example.com/)",
        "[the docs](https://x.example)",
    ],
)
def test_a_link_that_says_where_it_points_is_left_as_it_is(text):
    assert "links to" not in render_markdown_uncached(text)


def test_an_image_is_a_link_with_its_alt_text_and_is_not_loaded():
    html = render_markdown_uncached("![a cat](https://example.com/cat.png)")
    assert "<img" not in html and "a cat" in html and 'href="https://example.com/cat.png"' in html


def test_a_text_is_rendered_once_and_then_read_from_the_cache(monkeypatch):
    from ranklab import markdown

    text = "**cached** " + __name__
    first = render_markdown(text)
    monkeypatch.setattr(markdown, "render_markdown_uncached", lambda text: pytest.fail("rendered again"))
    assert render_markdown(text) == first


def test_several_texts_are_read_from_the_cache_at_once_and_only_the_new_ones_rendered(monkeypatch):
    from ranklab import markdown

    seen, new = f"**seen** {__name__}", f"*new* {__name__} {id(monkeypatch)}"
    render_markdown(seen)
    rendered = []
    original = markdown.render_markdown_uncached
    monkeypatch.setattr(markdown, "render_markdown_uncached", lambda text: rendered.append(text) or original(text))

    html = markdown.render_markdown_many([seen, new, None, "", seen])

    assert rendered == [new]
    assert html == {seen: original(seen), new: original(new)}
    assert render_markdown(new) == original(new) and rendered == [new]
