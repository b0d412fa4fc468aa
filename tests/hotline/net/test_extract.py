"""extract.media_links: what a page shows or links to, resolved, deduplicated, and never a crash."""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.hotline.extract import media_links, page_links, srcset_urls

BASE = "https://pics.test/gallery/page.html?id=3"


def test_the_kinds_of_media_reference() -> None:
    html = b"""<!doctype html><html><head>
    <meta property="og:image" content="/og.jpg">
    <meta name="twitter:image" content="https://cdn.test/tw.png">
    <style>.hero { background: url('/hero.webp') } </style>
    </head><body>
    <img src="a.jpg" alt=x><img data-src="lazy.png" src="data:image/gif;base64,R0lGOD">
    <img srcset="s1.jpg 1x, s2.jpg 2x" src="a.jpg">
    <picture><source srcset="p.avif" type="image/avif"><img src="p.jpg"></picture>
    <video src="v.mp4" poster="poster.jpg"><source src="v.webm"></video>
    <audio src="song.mp3"><source src="song.ogg"></audio>
    <a href="full/big.JPEG?size=l#frag">big</a> <a href="other.html">page</a> <a href="movie.mkv">m</a>
    <div style="background-image: url(&quot;bg.gif&quot;)"></div>
    <input type="image" src="button.png">
    <a href="mailto:x@y.test">mail</a><img src="javascript:alert(1)"><img src="ftp://pics.test/x.jpg">
    </body></html>"""
    assert media_links(html, BASE) == [
        "https://pics.test/og.jpg",
        "https://cdn.test/tw.png",
        "https://pics.test/hero.webp",
        "https://pics.test/gallery/a.jpg",
        "https://pics.test/gallery/lazy.png",
        "https://pics.test/gallery/s1.jpg",
        "https://pics.test/gallery/s2.jpg",
        "https://pics.test/gallery/p.avif",
        "https://pics.test/gallery/p.jpg",
        "https://pics.test/gallery/v.mp4",
        "https://pics.test/gallery/poster.jpg",
        "https://pics.test/gallery/v.webm",
        "https://pics.test/gallery/full/big.JPEG?size=l",
        "https://pics.test/gallery/movie.mkv",
        "https://pics.test/gallery/bg.gif",
        "https://pics.test/gallery/button.png",
    ]


def test_base_href_applies_to_every_link_and_only_the_first_counts() -> None:
    html = (
        b'<img src="one.png"><base href="https://cdn.test/root/"><base href="https://x.test/">'
        b'<img src="two.png">'
    )
    assert media_links(html, BASE) == ["https://cdn.test/root/one.png", "https://cdn.test/root/two.png"]


def test_malformed_html_still_gives_its_links() -> None:
    html = b'<html><body><img src="a.png" <img src=b.png><<>><img src = "c.png"/><p><img src="d.png'
    links = media_links(html, BASE)
    assert "https://pics.test/gallery/c.png" in links


def test_hostile_names_stay_inside_the_url() -> None:
    html = (
        '<img src="../../../../etc/passwd.jpg"><img src="a%00b.png"><img src="\tsp ace\n.png">'
        '<img src="ünïcode.jpg"><img src="http://[::1">'
    ).encode()
    links = media_links(html, BASE)
    assert "https://pics.test/etc/passwd.jpg" in links
    assert all(urlsplit(link).scheme == "https" for link in links)
    assert all("\n" not in link and "\t" not in link for link in links)


def test_srcset_with_commas_in_urls_and_descriptors() -> None:
    assert srcset_urls("a.jpg 1x,b.jpg 2x") == ["a.jpg", "b.jpg"]
    assert srcset_urls("  a,b.jpg 100w , c.jpg") == ["a,b.jpg", "c.jpg"]
    assert srcset_urls("x.jpg (foo, bar) 1x, y.jpg") == ["x.jpg", "y.jpg"]
    assert srcset_urls("") == []


def test_duplicates_once_in_first_seen_order() -> None:
    html = b'<img src="b.png"><img src="a.png"><img src="b.png#x"><a href="a.png">a</a>'
    assert media_links(html, BASE) == ["https://pics.test/gallery/b.png", "https://pics.test/gallery/a.png"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_any_bytes_give_http_links_without_duplicates(data: bytes) -> None:
    links = media_links(data, BASE)
    assert len(links) == len(set(links))
    assert all(link.startswith(("http://", "https://")) and "#" not in link for link in links)


_names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=30)
_tags = st.sampled_from(["img", "source", "video", "a", "div", "p", "base", "audio", "meta", "style"])
_attrs = st.sampled_from(["src", "href", "srcset", "poster", "style", "content", "property", "data-src"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_tags, st.lists(st.tuples(_attrs, _names), max_size=3), st.booleans()), max_size=20),
    st.sampled_from([BASE, "http://h.test", "https://h.test:8443/a/b/"]),
)
def test_tag_soup_never_breaks_extraction(
    tags: list[tuple[str, list[tuple[str, str]], bool]], base: str
) -> None:
    parts = []
    for tag, attrs, close in tags:
        rendered = " ".join(f'{name}="{value}"' for name, value in attrs)
        parts.append(f"<{tag} {rendered}>" + (f"</{tag}>" if close else ""))
    links = media_links("".join(parts).encode(), base)
    assert len(links) == len(set(links))
    assert all(urlsplit(link).scheme in ("http", "https") and urlsplit(link).hostname for link in links)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[a-z0-9_\-]{1,12}\.(jpg|png|mp4)", fullmatch=True))
def test_every_plain_img_src_is_found(name: str) -> None:
    assert media_links(f'<p>x<img src="{name}"></p>'.encode(), BASE) == [f"https://pics.test/gallery/{name}"]


def test_frames_are_listed_apart_from_media() -> None:
    html = b'<iframe src="/embed/1"></iframe><frameset><frame src="side.html"></frameset><img src="x.png">'
    links = page_links(html, BASE)
    assert links.frames == ["https://pics.test/embed/1", "https://pics.test/gallery/side.html"]
    assert links.media == ["https://pics.test/gallery/x.png"]
