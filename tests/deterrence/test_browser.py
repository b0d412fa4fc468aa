"""The warning page in a real headless Chromium: a screenshot in each language (test-artifacts/pages/),
nothing loaded from any other origin (nor anything at all but the page), no cookie, and the curators' page
with its chart per variant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from netsafe.accounts.roles import Role
from netsafe.audit.service import Actor
from netsafe.deterrence import lists
from netsafe.services.accounts import add_user
from netsafe.store.db import open_database
from web.helpers import PASSWORD
from web.test_browser import ARTIFACTS, _page, _shot, browser
from web.test_serve import serving

__all__ = ["browser"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("deterrence-browser")
    url = f"sqlite:///{folder / 'netsafe.db'}"
    db = open_database(url)
    with db.session() as session:
        add_user(session, Actor("test"), "curator", Role.CURATOR, PASSWORD)
    lists.import_list(db, Actor("test"), "terms", "keyword", "pthc\n", "txt")
    db.dispose()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with serving(url) as (base, _):
        yield base


@pytest.mark.parametrize(("lang", "expected"), [("en", "This content is illegal"), ("cy", "anghyfreithlon")])
def test_warning_page_loads_nothing_else(browser: object, site: str, lang: str, expected: str) -> None:
    context = browser.new_context(base_url=site, locale=lang, java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"/warning?lang={lang}&e=1")
    page.wait_for_load_state("networkidle")
    assert expected in page.locator("h1").inner_text()
    assert page.locator("html").get_attribute("lang") == lang
    assert "0808 1000 900" in page.content()
    # One request: the page itself. No stylesheet, script, font or image, from here or anywhere else.
    assert requests == [f"{site}/warning?lang={lang}&e=1"]
    assert context.cookies() == []
    _shot(page, f"deterrence-warning-{lang}")
    context.close()


def test_curator_page_shows_a_chart_per_variant(browser: object, site: str) -> None:
    page, outside = _page(browser, site, "curator")
    page.goto("/warning")  # a display to chart
    page.goto("/deterrence")
    assert page.locator("figure.chart svg").count() >= 1
    assert "terms" in page.locator("table").first.inner_text()
    _shot(page, "deterrence-curator")
    assert outside == []
