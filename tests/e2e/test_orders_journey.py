"""The purchase journey in a browser: win -> order -> invoice -> pay with a test card -> staff partial refund.

The daphne child runs the real Authorize.Net client against the fake served by this test process.
"""

import subprocess
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from accounts.models import CardOnFile
from auctions.services import auction_close
from orders.models import Order
from orders.sources import order_create_for_auction
from tests.fakes.authorize_net import LOGIN_ID, SIGNATURE_KEY, TRANSACTION_KEY, FakeAuthorizeNetState
from tests.fixtures.browser import login_browser
from tests.fixtures.live_server import running_daphne

pytestmark = pytest.mark.e2e


@pytest.fixture
def payments_server(fake_authorize_net: FakeAuthorizeNetState, transactional_db: None, tmp_path: Path) -> Iterator[str]:
    with running_daphne(
        tmp_path / "daphne.log",
        AUTHORIZE_NET_LOGIN_ID=LOGIN_ID,
        AUTHORIZE_NET_TRANSACTION_KEY=TRANSACTION_KEY,
        AUTHORIZE_NET_SIGNATURE_KEY=SIGNATURE_KEY,
        AUTHORIZE_NET_API_URL=fake_authorize_net.url,
    ) as url:
        yield url


def pdf_text(path: str) -> str:
    return subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True).stdout


def test_buyer_wins_pays_and_staff_refunds_part(
    browser: Browser, payments_server: str, fake_authorize_net, auction_factory, bidder_factory, place_bid, staff_user
):
    live = payments_server
    # given a buyer who won an auction (closing triggered here) but has no card on file yet
    auction = auction_factory(
        vehicle__vin="1HGCM82633A004352", vehicle__year=2019, vehicle__make="Honda", vehicle__model="Accord"
    )
    buyer = bidder_factory(state="MN", first_name="Bea", last_name="Buyer")
    place_bid(auction, buyer, "8000")
    place_bid(auction, bidder_factory(), "7000")
    CardOnFile.objects.filter(user=buyer).delete()
    assert auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    order = order_create_for_auction(auction_id=auction.pk)
    assert order is not None
    assert order.vehicle_price == Decimal("7100.00")

    buyer_context = browser.new_context()
    login_browser(buyer_context, buyer, live)
    page = buyer_context.new_page()

    # the buyer finds the order
    page.goto(live + "/orders/")
    page.get_by_role("link", name=order.number, exact=True).click()
    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting payment")
    expect(page.get_by_test_id("balance")).to_have_text(f"${order.total:,}")

    # downloads the invoice and reads it
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download invoice (PDF)").click()
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        download_info.value.save_as(handle.name)
        text = pdf_text(handle.name)
    for expected in (order.number, "1HGCM82633A004352", "7,100.00", "Balance due", f"{order.total:,}"):
        assert expected in text, expected

    # adds the test card, as the order page suggests
    page.get_by_role("link", name="Add a card", exact=True).click()
    page.get_by_label("Card number").fill("4111 1111 1111 1111")
    page.get_by_label("Expiry month").select_option("12")
    page.get_by_label("Expiry year").select_option(str(date.today().year + 2))
    page.get_by_label("Security code (CVV)").fill("123")
    page.get_by_role("button", name="Save card").click()

    # back on the order page, and pays
    expect(page).to_have_url(f"{live}/orders/{order.pk}/")
    page.get_by_role("button", name="Pay with Visa ending 1111").click()
    expect(page.get_by_role("alert").filter(has_text="approved")).to_be_visible()
    # paid in full: the title transfer and delivery start at once (fulfillment)
    expect(page.get_by_test_id("order-status")).to_have_text("Title and transport in progress")
    expect(page.get_by_test_id("balance")).to_have_text("$0.00")
    assert sum(1 for raw in fake_authorize_net.raw_requests if b"authCaptureTransaction" in raw) == 1

    # the payment settles overnight; staff refund part of it in the admin
    fake_authorize_net.settle_all()
    staff_context = browser.new_context()
    login_browser(staff_context, staff_user, live)
    admin = staff_context.new_page()
    admin.goto(f"{live}/admin/orders/order/{order.pk}/change/")
    admin.get_by_role("link", name="Refund").click()
    admin.get_by_label("Amount").fill("250.00")
    admin.get_by_label("Reason").fill("Windshield chip not in the listing")
    admin.get_by_role("button", name=f"Refund {order.number}").click()
    expect(admin.locator(".messagelist")).to_contain_text("Refund of $250.00 approved")

    # the buyer sees the refund on the order
    page.reload()
    expect(page.get_by_test_id("refunded")).to_have_text("$250.00")
    expect(page.get_by_test_id("timeline")).to_contain_text("Refunded $250.00: Windshield chip not in the listing")
    order.refresh_from_db()
    assert order.amount_refunded == Decimal("250.00")
    assert order.status == Order.Status.IN_FULFILLMENT  # a partial refund does not end the sale
    buyer_context.close()
    staff_context.close()
