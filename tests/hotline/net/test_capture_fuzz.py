"""capture_page on hostile pages and hostile item answers: never a crash, always within its limits."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsafe.hotline.capture import capture_page
from netsafe.hotline.fetch import FetchBudget, Fetched, FetchFailed, FetchRefused
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.sniffing import sniff_content_type

from .conftest import image_bytes

PAGE = "http://page.test/index.html"
PNG = image_bytes("PNG")
_answers = st.one_of(
    st.tuples(st.sampled_from([200, 200, 404, 500]), st.one_of(st.binary(max_size=300), st.just(PNG))),
    st.sampled_from(["timeout", "dns", "private"]),
)
_pages = st.one_of(
    st.binary(max_size=2000),
    st.lists(
        st.sampled_from(['<img src="%d.png">', '<a href="/x/%d.jpg">', "<video poster=%d.gif>", "<p>%d"])
    ).map(lambda parts: "".join(part.replace("%d", str(i)) for i, part in enumerate(parts)).encode()),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    page=_pages,
    answers=st.lists(_answers, max_size=30),
    max_items=st.integers(1, 5),
    room=st.integers(1, 5000),
)
def test_capture_never_breaks_and_keeps_its_limits(
    page: bytes, answers: list[tuple[int, bytes] | str], max_items: int, room: int
) -> None:
    options = HotlineSettings(fetch_max_items=max_items, fetch_max_report_bytes=len(page) + room)
    pending = iter(answers)

    def fake(
        url: str, *, settings: HotlineSettings, budget: FetchBudget | None = None, referer: str | None = None
    ) -> Fetched:
        body = page if url == PAGE else b""
        status = 200
        if url != PAGE:
            answer = next(pending, (404, b""))
            if isinstance(answer, str):
                error = FetchRefused if answer == "private" else FetchFailed
                raise error(answer, f"{answer} for this item")
            status, body = answer
        cap = min(settings.fetch_max_item_bytes, budget.bytes_left if budget else 1 << 30)
        if cap <= 0:
            raise FetchFailed("budget", "used up")
        body, truncated = body[:cap], len(body) > cap
        if budget is not None:
            budget.bytes_left -= len(body)
        return Fetched(url, url, status, [], {}, body, truncated, sniff_content_type(body))

    result = capture_page(PAGE, settings=options, fetcher=fake, workers=1)
    assert len(result.items) <= max(1, max_items)
    assert sum(len(item.body) for item in result.items) <= len(page) + room
    assert all(item.url.startswith("http") for item in result.items)
    assert all("\n" not in line for line in result.errors + result.skipped)
    if result.content_type == "text/html":
        assert all(item.kind in ("image", "video") for item in result.items)
