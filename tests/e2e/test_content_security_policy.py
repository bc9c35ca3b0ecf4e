"""Under the site's Content-Security-Policy (issue 15, item 7) the pages still work in a real browser: no
violation is reported on the pages a buyer, a seller and staff use, their scripts run (the live room counts
down, a confirm dialog guards removing a card), and the Swagger UI at /api/docs/ renders the API."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.fixtures.browser import login_browser

pytestmark = pytest.mark.e2e


def watch_violations(page: Page) -> list[str]:
    """Every CSP violation the page reports (the console line and the DOM event), collected as they happen."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return found


def test_buyer_and_seller_pages_run_their_scripts_without_a_violation(
    page: Page, live_url: str, auction_factory: Any, eligible_buyer: Any, collected_static: None
) -> None:
    # given a live auction and a buyer with a card on file
    auction = auction_factory(ends_at=timezone.now() + timedelta(minutes=30))
    violations = watch_violations(page)
    login_browser(page.context, eligible_buyer, live_url)
    # when the buyer goes through the pages they use
    for path in ["/", "/vehicles/", f"/vehicles/{auction.vehicle_id}/", "/auctions/mine/", "/notifications/"]:
        page.goto(live_url + path)
        expect(page.locator("main")).to_be_visible()
    # then the live auctions' script runs: the countdown ("—" as rendered) ticks from the server's clock
    page.goto(live_url + "/auctions/")
    expect(page.locator("[data-countdown-ends]").first).to_have_text(re.compile(r"\d+m \d+s"), timeout=10_000)
    page.goto(live_url + f"/auctions/{auction.pk}/")
    expect(page.locator("main")).to_be_visible()
    # and removing the card asks first (a data-confirm form, no inline handler); dismissing keeps the card
    page.goto(live_url + "/account/card/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Remove card").click()
    expect(page.get_by_test_id("card-label")).to_be_visible()
    # and the seller's pages load too
    login_browser(page.context, auction.seller, live_url)
    for path in ["/sell/", "/sell/auctions/"]:
        page.goto(live_url + path)
        expect(page.locator("main")).to_be_visible()
    assert violations == []


def test_swagger_ui_renders_the_api_under_the_policy(page: Page, live_url: str, collected_static: None) -> None:
    violations = watch_violations(page)
    page.goto(live_url + "/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)
    expect(page.get_by_text("/api/auctions/search").first).to_be_visible()
    assert violations == []


def test_staff_console_loads_without_a_violation(
    page: Page, live_url: str, staff_user: Any, collected_static: None
) -> None:
    violations = watch_violations(page)
    login_browser(page.context, staff_user, live_url)
    for path in ["/admin/", "/admin/core/feeschedule/add/", "/admin/auctions/auction/add/"]:
        page.goto(live_url + path)
        expect(page.locator("#content")).to_be_visible()
    assert violations == []
