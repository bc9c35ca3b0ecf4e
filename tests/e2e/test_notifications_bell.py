"""The navigation bell in a real browser: a notification created for the logged-in user shows up live."""

import mimetypes
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import Page, Route, expect

from notifications import services
from tests.fixtures.browser import login_browser

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def static_files_from_finders(page: Page) -> None:
    """The daphne child runs with DEBUG off and no collectstatic, so WhiteNoise answers 404 for /static/.
    Serve such misses from Django's static finders (what `runserver` would do) so the page's JS runs."""
    from django.contrib.staticfiles import finders

    def serve(route: Route) -> None:
        response = route.fetch()
        if response.status != 404:
            route.fulfill(response=response)
            return
        path = finders.find(route.request.url.split("/static/", 1)[1].split("?", 1)[0])
        if not path:
            route.fulfill(response=response)
            return
        content_type = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
        route.fulfill(status=200, body=Path(path).read_bytes(), content_type=content_type)

    page.route("**/static/**", serve)


def notify(**kwargs) -> None:
    """notify() as another process would call it: off Playwright's event-loop thread, on its own connection."""

    def call() -> None:
        try:
            services.notify(**kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(call).result(timeout=30)


def log_in(page: Page, live_url: str, user) -> None:
    """Give the browser a session cookie for `user`, as the login form would."""
    login_browser(page.context, user, live_url)


def test_bell_count_updates_live_without_reload(page: Page, live_url: str, user_factory):
    # given a logged-in user on the home page, whose bell socket is connected
    bidder = user_factory(first_name="Bea")
    log_in(page, live_url, bidder)
    page.goto(live_url + "/")
    bell = page.locator("#notification-bell")
    badge = page.get_by_test_id("notification-badge")
    expect(bell).to_have_attribute("data-live", "connected")
    expect(badge).to_be_hidden()
    page.evaluate("window.__sameDocument = true")

    # when the server notifies them (from this process, through channels-redis, to daphne)
    notify(user=bidder, kind="outbid", context={"vehicle": "2018 Honda Accord", "current_price": "12500"})

    # then the badge shows it, without a reload
    expect(badge).to_have_text("1")
    expect(badge).to_be_visible()
    expect(page.get_by_role("button", name="Notifications, 1 unread")).to_be_visible()
    notify(user=bidder, kind="auction_ending_soon", context={"vehicle": "2020 Ford F-150"})
    expect(badge).to_have_text("2")
    assert page.evaluate("window.__sameDocument") is True

    # and the dropdown lists them; "Mark all read" clears the badge
    page.get_by_role("button", name="Notifications, 2 unread").click()
    menu = page.locator(".notification-menu")
    expect(menu.get_by_text("You've been outbid on 2018 Honda Accord")).to_be_visible()
    expect(menu.get_by_text("2020 Ford F-150 is ending soon")).to_be_visible()
    expect(menu).to_contain_text(re.compile(r"\d{1,2}:\d{2} [AP]M C[SD]T"))  # in Central time, zone named
    menu.get_by_role("button", name="Mark all read").click()
    expect(badge).to_be_hidden()


def test_notification_for_another_user_does_not_touch_my_bell(page: Page, live_url: str, user_factory):
    me, someone_else = user_factory(), user_factory()
    log_in(page, live_url, me)
    page.goto(live_url + "/notifications/")
    expect(page.locator("#notification-bell")).to_have_attribute("data-live", "connected")

    notify(user=someone_else, kind="outbid", context={})
    notify(user=me, kind="auction_lost", context={})

    badge = page.get_by_test_id("notification-badge")
    expect(badge).to_have_text("1")
    # the list page offers to show the new one
    expect(page.get_by_text("You have new notifications.")).to_be_visible()
