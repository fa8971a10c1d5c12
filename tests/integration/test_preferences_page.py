"""The dev and test stacks' mail preferences page (nginx/preferences-page.conf.in,
tests/nginx-static/preferences/): the URL that news mails name in their
footer and List-Unsubscribe header (preferences_url) opens a page where the
signed-in person unticks news and saves, in a real browser (Debian's
headless Chromium, browser.py). The page is the example of a front end's
preferences form: PATCH /api/v1/me/preferences as an HTML form with
_method, _news_present, return_to and error_to."""
import pytest

import support as S
from browser import Browser


@pytest.fixture
def person(make_person):
    return make_person(prefix="prefpage")


@pytest.fixture
def browser(person):
    b = Browser(person.uid, person.password)
    b.sign_in(S.URL + "/api/v1/me")
    assert b.status() == 200, b.documents
    yield b
    b.close()


def loaded(b):
    b._wait(lambda: b.eval("document.body.getAttribute('data-loaded')") == "1", "the preferences page's read")


def test_untick_news_and_tick_it_again(browser, api, person):
    me = api(person)
    assert S.expect(me.get("/api/v1/me/preferences"), 200)["news"] is True
    browser.goto(S.URL + "/preferences")
    assert browser.status() == 200
    loaded(browser)
    assert browser.eval("document.getElementById('news').checked") is True
    assert "Send me news" in browser.text()

    # Untick and save: back on the page, told it is saved, news off.
    browser.check("#news", False)
    browser.submit("#preferences")
    assert browser.url().startswith(S.URL + "/preferences?saved=1"), browser.url()
    loaded(browser)
    assert "Saved." in browser.text()
    assert browser.eval("document.getElementById('news').checked") is False
    assert S.expect(me.get("/api/v1/me/preferences"), 200)["news"] is False

    # Tick it again.
    browser.check("#news", True)
    browser.submit("#preferences")
    loaded(browser)
    assert S.expect(me.get("/api/v1/me/preferences"), 200)["news"] is True
    assert browser.eval("document.getElementById('news').checked") is True

