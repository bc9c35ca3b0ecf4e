"""After the sale, in a browser: from a won auction to the seller's released proceeds, and a pickup with the code.

The daphne child runs the real Authorize.Net client against the fake served by this test process, and the
built-in carrier network and title service sandboxes with a one-second step. This test process plays celery
beat: it runs the polling and completion sweeps, whose changes reach both parties' open pages live (the
channel layer in Redis is shared with daphne).
"""

from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import F
from playwright.sync_api import Browser, Page, expect

from auctions.services import auction_close
from core.pricing import seller_fee
from fulfillment import services
from fulfillment.models import Fulfillment, FulfillmentEvent, StorageDay, TitleDocument
from orders.models import Order
from orders.sources import order_create_for_auction
from tests.fakes.authorize_net import LOGIN_ID, SIGNATURE_KEY, TRANSACTION_KEY, FakeAuthorizeNetState
from tests.fixtures.browser import login_browser
from tests.fixtures.fulfillment import PDF
from tests.fixtures.live_server import running_daphne

pytestmark = pytest.mark.e2e
STEP_SECONDS = 2
CLAIM_WINDOW_SECONDS = 3


@pytest.fixture
def fulfillment_server(
    fake_authorize_net: FakeAuthorizeNetState, transactional_db: None, tmp_path: Path, settings, fulfillment_files
) -> Iterator[str]:
    settings.SUPER_DISPATCH_SANDBOX_STEP_SECONDS = STEP_SECONDS
    settings.TITLE_TRANSFER_SANDBOX_STEP_SECONDS = STEP_SECONDS
    settings.FULFILLMENT_CLAIM_WINDOW_SECONDS = CLAIM_WINDOW_SECONDS
    with running_daphne(
        tmp_path / "daphne.log",
        AUTHORIZE_NET_LOGIN_ID=LOGIN_ID,
        AUTHORIZE_NET_TRANSACTION_KEY=TRANSACTION_KEY,
        AUTHORIZE_NET_SIGNATURE_KEY=SIGNATURE_KEY,
        AUTHORIZE_NET_API_URL=fake_authorize_net.url,
        SUPER_DISPATCH_CLIENT_ID="",
        TITLE_TRANSFER_API_KEY="",
        SUPER_DISPATCH_SANDBOX_STEP_SECONDS=str(STEP_SECONDS),
        TITLE_TRANSFER_SANDBOX_STEP_SECONDS=str(STEP_SECONDS),
        FULFILLMENT_CLAIM_WINDOW_SECONDS=str(CLAIM_WINDOW_SECONDS),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        VEHICLE_PRIVATE_MEDIA_ROOT=str(settings.VEHICLE_PRIVATE_MEDIA_ROOT),
    ) as url:
        yield url


def until(check: Callable[[], bool], *, run: Callable[[], object], page: Page, timeout: float = 60.0) -> None:
    """Play beat: run the sweep, then give the pages a moment, until `check` holds."""
    import time

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the sandboxes did not get there in time")
        run()
        page.wait_for_timeout(500)


def open_as(browser: Browser, user, live: str, path: str) -> Page:
    context = browser.new_context()
    login_browser(context, user, live)
    page = context.new_page()
    page.goto(live + path)
    return page


def won_order(auction_factory, bidder_factory, place_bid, card_for, seller_factory) -> Order:
    from accounts.models import SellerProfile

    auction = auction_factory(vehicle__year=2019, vehicle__make="Honda", vehicle__model="Accord")
    SellerProfile.objects.create(
        user=auction.seller, business_name="North Woods Motors", dealer_license_number="D-1", tax_id="41-1",
        address_line1="200 Lake St", city="Minneapolis", state="MN", postal_code="55401", status="approved",
    )  # fmt: skip
    buyer = bidder_factory(
        state="MN", first_name="Bea", last_name="Buyer", postal_code="55401", address_line1="100 Nicollet Mall"
    )
    place_bid(auction, buyer, "9000")
    place_bid(auction, bidder_factory(), "8000")
    assert auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    order = order_create_for_auction(auction_id=auction.pk)
    assert order is not None
    card_for(buyer)
    return order


def test_won_auction_to_released_proceeds_both_parties_watch_live(
    browser: Browser,
    fulfillment_server: str,
    auction_factory,
    bidder_factory,
    place_bid,
    card_for,
    seller_factory,
    staff_user,
    tmp_path,
):
    live = fulfillment_server
    order = won_order(auction_factory, bidder_factory, place_bid, card_for, seller_factory)
    buyer_page = open_as(browser, order.buyer, live, f"/orders/{order.pk}/")
    seller_page = open_as(browser, order.seller, live, f"/orders/{order.pk}/")

    # the buyer pays; the tracks start at once
    buyer_page.get_by_role("button", name="Pay with Visa ending 1111").click()
    expect(buyer_page.get_by_test_id("order-status")).to_have_text("Title and transport in progress")
    expect(buyer_page.get_by_test_id("next-action")).to_contain_text("Choose pickup or door-to-door transport")
    # the seller's open page follows without a reload
    expect(seller_page.get_by_test_id("next-action")).to_contain_text("Upload the title documents", timeout=30_000)
    net = order.vehicle_price - seller_fee(order.vehicle_price)
    expect(seller_page.get_by_test_id("proceeds-net")).to_have_text(f"${net:,}")

    # the buyer gets a quote to Chicago and books transport; it is charged as its own payment
    buyer_page.get_by_label("Deliver to ZIP").fill("60601")
    buyer_page.get_by_role("button", name="Get quote").click()
    expect(buyer_page.get_by_test_id("order-transport-quote")).to_contain_text("$685.65")
    buyer_page.get_by_label("Street address").fill("1 W Wacker Dr")
    buyer_page.get_by_role("button", name="Book transport for $685.65").click()
    expect(buyer_page.get_by_role("alert").filter(has_text="Transport booked")).to_be_visible()
    expect(buyer_page.get_by_test_id("vehicle-status")).to_have_text("Transport booked")

    # the seller releases the vehicle and uploads the title documents (straight to storage, then verified)
    seller_page.get_by_role("button", name="Release the vehicle").click()
    document = tmp_path / "title.pdf"
    document.write_bytes(PDF)
    for label in ("Signed title (front)", "Signed title (back)", "Odometer disclosure", "Dealer reassignment"):
        seller_page.get_by_label("Document", exact=True).select_option(label=label)
        seller_page.get_by_label("File (PDF, JPEG or PNG, up to 20 MB)").set_input_files(str(document))
        seller_page.get_by_role("button", name="Upload", exact=True).click()
        expect(seller_page.get_by_test_id("title-documents")).to_contain_text(label)
    expect(seller_page.get_by_test_id("title-status")).to_have_text("Documents in review")
    expect(buyer_page.get_by_test_id("title-status")).to_have_text("Documents in review", timeout=30_000)
    assert TitleDocument.objects.filter(fulfillment__order=order).count() == 4

    # staff approve the documents in the console; the transfer is filed with the title service
    staff_page = open_as(
        browser, staff_user, live, f"/admin/fulfillment/fulfillment/{Fulfillment.objects.get(order=order).pk}/change/"
    )
    staff_page.get_by_role("link", name="Approve the title documents").click()
    staff_page.get_by_label("I confirm").check()
    staff_page.get_by_role("button", name="Approve the title documents").click()
    expect(staff_page.locator(".messagelist")).to_contain_text("done")
    expect(buyer_page.get_by_test_id("title-status")).to_have_text("Filed with the title service", timeout=30_000)

    # beat polls the sandboxes: carrier assigned, picked up, delivered; the title issued
    def poll() -> None:
        services.transports_poll()
        services.titles_poll()

    until(
        lambda: Fulfillment.objects.filter(
            order=order, vehicle_status="delivered", title_status="title_issued"
        ).exists(),
        run=poll,
        page=buyer_page,
    )
    expect(buyer_page.get_by_test_id("vehicle-status")).to_have_text("Delivered", timeout=30_000)
    expect(buyer_page.get_by_test_id("carrier-details")).to_contain_text("Northern Lights Auto Transport")
    expect(seller_page.get_by_test_id("vehicle-status")).to_have_text("Delivered", timeout=30_000)
    expect(buyer_page.get_by_test_id("title-number")).to_have_text(Fulfillment.objects.get(order=order).title_number)
    timeline = buyer_page.get_by_test_id("timeline")
    for step in ("Transport booked", "Delivered", "New title issued"):
        expect(timeline).to_contain_text(step)

    # the buyer confirms the title; after the claim window the sale completes and the proceeds are released
    buyer_page.get_by_role("button", name="I received the title").click()
    expect(buyer_page.get_by_test_id("title-status")).to_have_text("Title delivered to the buyer")
    until(
        lambda: Order.objects.filter(pk=order.pk, status="completed").exists(),
        run=services.fulfillments_complete_due,
        page=seller_page,
    )
    expect(seller_page.get_by_test_id("proceeds-status")).to_have_text("Released, payout due", timeout=30_000)
    expect(buyer_page.get_by_test_id("order-status")).to_have_text("Completed", timeout=30_000)
    seller_page.goto(live + "/sell/statement/")
    row = seller_page.locator(f"tr[data-order='{order.number}']")
    expect(row).to_contain_text(f"${net:,}")
    expect(row).to_contain_text("Released, payout due")
    expect(seller_page.get_by_test_id("released-total")).to_have_text(f"${net:,}")


def shift_back(order: Order, days: int) -> None:
    """Move an order's after-sale clock `days` back, as if it had been paid that long ago."""
    delta = timedelta(days=days)
    Order.objects.filter(pk=order.pk).update(
        sold_at=F("sold_at") - delta, paid_at=F("paid_at") - delta, due_at=F("due_at") - delta
    )
    fields = ("started_at", "documents_due_at", "title_promised_by", "free_storage_until", "released_at")
    Fulfillment.objects.filter(order=order).update(**{name: F(name) - delta for name in fields})
    FulfillmentEvent.objects.filter(fulfillment__order=order).update(created_at=F("created_at") - delta)


def test_pickup_with_the_code_storage_for_a_late_buyer_and_its_waiver_for_a_late_seller(
    browser: Browser, fulfillment_server: str, paid_order, upload_title_documents
):
    live = fulfillment_server
    # a buyer who left the car 10 days past payment with a seller who did everything in time ...
    late_buyer = paid_order()
    services.vehicle_release(order_id=late_buyer.pk, actor=late_buyer.seller)
    upload_title_documents(late_buyer)
    services.delivery_choose_pickup(order_id=late_buyer.pk, actor=late_buyer.buyer)
    shift_back(late_buyer, 10)
    # ... and a buyer whose seller never sent the title documents
    late_seller = paid_order(buyer=late_buyer.buyer)
    services.vehicle_release(order_id=late_seller.pk, actor=late_seller.seller)
    services.delivery_choose_pickup(order_id=late_seller.pk, actor=late_seller.buyer)
    shift_back(late_seller, 10)
    services.storage_sweep()  # beat decides the storage days

    charged = StorageDay.objects.filter(fulfillment__order=late_buyer, status="charged").count()
    assert charged > 0
    assert not StorageDay.objects.filter(fulfillment__order=late_seller, status="charged").exists()
    assert StorageDay.objects.filter(fulfillment__order=late_seller, reason="seller_late").exists()

    buyer_page = open_as(browser, late_buyer.buyer, live, f"/orders/{late_buyer.pk}/")
    storage = Decimal(25) * charged
    expect(buyer_page.get_by_test_id("storage-fee")).to_have_text(f"${storage:,.2f}")
    expect(buyer_page.get_by_test_id("next-action")).to_contain_text(f"Pay ${storage:,.2f} for storage")
    code = Fulfillment.objects.get(order=late_buyer).pickup_code
    expect(buyer_page.get_by_test_id("pickup-code")).to_have_text(code)

    seller_page = open_as(browser, late_buyer.seller, live, f"/orders/{late_buyer.pk}/")
    seller_page.get_by_label("Buyer's pickup code").fill(code)
    seller_page.get_by_role("button", name="Confirm pickup").click()
    expect(seller_page.get_by_role("alert").filter(has_text="still owes")).to_be_visible()

    buyer_page.get_by_role("button", name="Pay with Visa ending 1111").click()
    expect(buyer_page.get_by_role("alert").filter(has_text="approved")).to_be_visible()
    expect(buyer_page.get_by_test_id("balance")).to_have_text("$0.00")

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    seller_page.get_by_label("Buyer's pickup code").fill(wrong)
    seller_page.get_by_role("button", name="Confirm pickup").click()
    expect(seller_page.get_by_role("alert").filter(has_text="4 attempts left")).to_be_visible()
    seller_page.get_by_label("Buyer's pickup code").fill(code)
    seller_page.get_by_role("button", name="Confirm pickup").click()
    expect(seller_page.get_by_test_id("vehicle-status")).to_have_text("Picked up")
    expect(buyer_page.get_by_test_id("vehicle-status")).to_have_text("Picked up", timeout=30_000)

    # the late seller's buyer owes no storage: every day was waived, and they collect with the code
    buyer_page.goto(f"{live}/orders/{late_seller.pk}/")
    expect(buyer_page.get_by_test_id("storage-summary")).to_contain_text("the seller was late with the title documents")
    expect(buyer_page.get_by_test_id("balance")).to_have_text("$0.00")
    other_seller = open_as(browser, late_seller.seller, live, f"/orders/{late_seller.pk}/")
    expect(other_seller.get_by_test_id("next-action")).to_contain_text("Upload the title documents (overdue)")
    other_seller.get_by_label("Buyer's pickup code").fill(Fulfillment.objects.get(order=late_seller).pickup_code)
    other_seller.get_by_role("button", name="Confirm pickup").click()
    expect(other_seller.get_by_test_id("vehicle-status")).to_have_text("Picked up")
