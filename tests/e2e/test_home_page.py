"""The home page in a real browser, served by daphne."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_home_page_navigation_links_work(page: Page, live_url: str):
    page.goto(live_url + "/")
    expect(page).to_have_title("Vehicle auctions · North Star Auto Auctions")
    nav = page.get_by_role("navigation", name="Main navigation")
    for name in ["Inventory", "Live auctions", "Sell", "How bidding works", "Log in", "Sign up"]:
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_role("main")).to_be_visible()
    expect(page.get_by_role("contentinfo")).to_be_visible()
    nav.get_by_role("link", name="Log in").click()
    expect(page).to_have_url(live_url + "/accounts/login/")


def test_skip_link_moves_focus_to_main(page: Page, live_url: str):
    page.goto(live_url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
