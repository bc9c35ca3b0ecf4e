"""The site's navigation in a real browser: the account menu lists each role's pages."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.browser import login_browser

pytestmark = pytest.mark.e2e

BUYER_PAGES = {
    "Account overview": "/account/",
    "Get ready to bid": "/account/ready/",
    "My bids": "/auctions/mine/",
    "Watchlist": "/watchlist/",
    "My orders": "/orders/",
    "Notifications": "/notifications/",
}
SELLER_PAGES = {"Seller dashboard": "/sell/", "My auctions": "/sell/auctions/", "Sales": "/orders/sales/"}


def open_account_menu(page: Page):
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="My account").click()
    menu = page.locator("[data-account-menu] .dropdown-menu")
    expect(menu).to_be_visible()
    return menu


def test_account_menu_lists_a_buyers_pages_without_seller_or_staff_links(page: Page, live_url: str, user_factory):
    # given a logged-in buyer
    login_browser(page.context, user_factory(), live_url)
    page.goto(live_url + "/")
    # when they open the account menu
    menu = open_account_menu(page)
    # then every buyer page is one click away, and nothing for sellers or staff shows
    for name, href in BUYER_PAGES.items():
        expect(menu.get_by_role("link", name=name, exact=True)).to_have_attribute("href", href)
    for name in [*SELLER_PAGES, "Staff console"]:
        expect(menu.get_by_role("link", name=name, exact=True)).to_have_count(0)
    # and a link goes where it says
    menu.get_by_role("link", name="Watchlist").click()
    expect(page).to_have_url(live_url + "/watchlist/")


def test_account_menu_adds_selling_pages_for_sellers_and_the_console_for_staff(page: Page, live_url: str, user_factory):
    # given a user who is both an approved seller and staff
    login_browser(page.context, user_factory(role="seller", is_staff=True), live_url)
    page.goto(live_url + "/")
    # when they open the account menu
    menu = open_account_menu(page)
    # then the seller pages and the staff console are there too
    for name, href in {**SELLER_PAGES, "Staff console": "/admin/"}.items():
        expect(menu.get_by_role("link", name=name, exact=True)).to_have_attribute("href", href)


def test_account_menu_works_from_the_collapsed_menu_on_a_phone(page: Page, live_url: str, user_factory):
    # given a logged-in buyer on a phone-sized screen
    page.set_viewport_size({"width": 390, "height": 844})
    login_browser(page.context, user_factory(), live_url)
    page.goto(live_url + "/")
    # when they open the menu button and it has slid open (a tap while it slides can land on another item,
    # as for a person), then the account menu
    page.get_by_role("button", name="Toggle navigation").click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    menu = open_account_menu(page)
    # then the account pages show
    expect(menu.get_by_role("link", name="My orders")).to_be_visible()


def nav_rows(page: Page) -> set[int]:
    """The distinct rows (rounded top offsets) the main bar's top-level items sit on."""
    tops = page.locator("#main-nav > ul > li").evaluate_all(
        "items => items.map(li => Math.round(li.getBoundingClientRect().top + li.getBoundingClientRect().height / 2))"
    )
    return {top // 8 for top in tops}


@pytest.mark.parametrize("width", [1200, 1280, 1440])
def test_the_bar_fits_on_one_line_for_a_seller_who_is_staff_and_log_out_is_in_the_account_menu(
    collected_static, page: Page, live_url: str, user_factory, width: int
):
    # given the longest bar (a logged-in seller who is staff, so the bell and the account menu show) on a laptop
    page.set_viewport_size({"width": width, "height": 800})
    login_browser(page.context, user_factory(role="seller", is_staff=True), live_url)
    page.goto(live_url + "/")
    nav = page.get_by_role("navigation", name="Main navigation")
    # then every item of the bar is on one line, none hidden
    expect(nav.get_by_role("link", name="How offers work")).to_be_visible()
    expect(nav.get_by_role("link", name="My account")).to_be_visible()
    expect(nav.get_by_role("link", name="North Star Auto Auctions")).to_be_visible()  # the brand keeps its name
    assert len(nav_rows(page)) == 1, f"the bar wraps at {width} px"
    bar = page.locator("nav.navbar").bounding_box()
    assert bar is not None
    assert bar["height"] <= 64, f"the bar is {bar} at {width} px: a label wrapped"
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing pushed off the side
    # and Log out is in the account menu, reachable with the keyboard
    toggle = nav.get_by_role("link", name="My account")
    toggle.focus()
    page.keyboard.press("Enter")
    menu = page.locator("[data-account-menu] .dropdown-menu")
    expect(menu.get_by_role("button", name="Log out")).to_be_visible()
    menu.get_by_role("button", name="Log out").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
