"""The shortcut for URLs already in normal form gives what the full normaliser (url-normalize) gives."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from netsafe.hotline import urls

LABEL = st.text("abcxyzAZ019-_", min_size=0, max_size=8) | st.sampled_from(
    ["xn--bcher-kva", "www", "a-", "-a"]
)
HOST = st.lists(LABEL, min_size=1, max_size=4).map(".".join)
SEGMENT = st.text("abzAZ09._~-%:;@!$&'()*+,= é/", max_size=10)
URL = st.builds(
    lambda scheme, host, port, segments, tail: (
        f"{scheme}://{host}{port}{''.join('/' + s for s in segments)}{tail}"
    ),
    st.sampled_from(["http", "https", "HTTP", "Https", "ftp"]),
    HOST | st.sampled_from(["1.2.3.4", "0x7f.1", "[::1]", "example.com.", "user@example.com"]),
    st.sampled_from(["", "", "", ":80", ":443", ":8080", ":", ":99999"]),
    st.lists(SEGMENT, max_size=4),
    st.sampled_from(["", "", "", "/", "?", "?a=1", "#", "#x", "?b=2&a=1"]),
)


def _full(text: str) -> urls.NormalisedUrl | str:
    try:
        return urls._normalise_fully(text.strip(), "url")
    except urls.UrlError as err:
        return str(err)


@settings(max_examples=3000, deadline=None)
@given(URL | st.text(max_size=40))
@example("http://example.com")
@example("https://files.example.org/a/b/c.jpg")
@example("http://example.com/a/")
@example("http://example.com/a/./b")
@example("http://example.com/a//b")
@example("http://example.com/..")
@example("http://a-.com/")
@example("http://xn--bcher-kva.example/")
def test_the_shortcut_agrees_with_the_full_normaliser(text: str) -> None:
    fast = urls._already_normal(text.strip())
    if fast is not None:
        assert fast == _full(text)


@pytest.mark.parametrize(
    "text",
    ["http://example.com", "https://files.example.org/a/b/c.jpg", "http://abcdefgh.example/abcdef/1.jpg"],
)
def test_the_usual_urls_take_the_shortcut(text: str) -> None:
    assert urls._already_normal(text) is not None
    assert urls.normalise(text) == _full(text)
