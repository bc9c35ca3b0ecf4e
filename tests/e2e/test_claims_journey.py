"""A claim in a browser: the buyer opens it on the order page with a photo, the seller answers with theirs, a
support member sees the claim but is refused the refund, a finance member decides a partial refund from the claim
page — both parties read the decision in their notifications and the seller's proceeds show the deduction.

The web process runs the real Authorize.Net client against the fake served by this test process."""

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Browser, BrowserContext, Page, expect

from fulfillment.models import Claim, ClaimStatus, SellerProceeds
from fulfillment.tests.test_claims import PNG, deliver
from orders.models import Order, Payment
from tests.fakes.authorize_net import LOGIN_ID, SIGNATURE_KEY, TRANSACTION_KEY, FakeAuthorizeNetState
from tests.fixtures.browser import login_browser
from tests.fixtures.live_server import running_daphne

pytestmark = pytest.mark.e2e


@pytest.fixture
def claims_server(
    collected_static: None, fake_authorize_net: FakeAuthorizeNetState, transactional_db: None, tmp_path: Path,
    settings, fulfillment_files,
) -> Iterator[str]:  # fmt: skip
    with running_daphne(
        tmp_path / "daphne.log",
        AUTHORIZE_NET_LOGIN_ID=LOGIN_ID,
        AUTHORIZE_NET_TRANSACTION_KEY=TRANSACTION_KEY,
        AUTHORIZE_NET_SIGNATURE_KEY=SIGNATURE_KEY,
        AUTHORIZE_NET_API_URL=fake_authorize_net.url,
        SUPER_DISPATCH_CLIENT_ID="",
        TITLE_TRANSFER_API_KEY="",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        VEHICLE_PRIVATE_MEDIA_ROOT=str(settings.VEHICLE_PRIVATE_MEDIA_ROOT),
    ) as url:
        yield url


def open_page(browser: Browser, url: str, user) -> Page:
    context: BrowserContext = browser.new_context(timezone_id="America/Chicago", locale="en-US")
    login_browser(context, user, url)
    return context.new_page()


def member(user_factory, role: str):
    person = user_factory(is_staff=True, email=f"{role}@claims.test")
    person.groups.add(Group.objects.get(name=role))
    return person


def test_a_claim_decided_with_a_partial_refund_and_a_support_member_refused_the_refund(
    claims_server: str, browser: Browser, paid_order, fake_authorize_net, user_factory, tmp_path: Path
):
    url = claims_server
    order = deliver(paid_order(price=Decimal("12000.00")))
    fake_authorize_net.settle_all()
    photo = tmp_path / "door.png"
    photo.write_bytes(PNG)

    # the buyer opens the claim on the order page, with a photo
    buyer = open_page(browser, url, order.buyer)
    buyer.goto(f"{url}/orders/{order.pk}/#claims")
    form = buyer.get_by_test_id("claim-form")
    form.get_by_label("What is wrong").select_option("damage")
    form.get_by_label("Describe the problem").fill("A dent on the tailgate that the condition report did not state.")
    form.get_by_label("Photos that show it").set_input_files(str(photo))
    form.get_by_role("button", name="Open a claim").click()
    expect(buyer.get_by_test_id("claim-status")).to_have_text("Waiting for the seller's answer")
    claim = Claim.objects.get(order=order)
    assert claim.photos.count() == 1

    # the seller answers with a photo
    seller = open_page(browser, url, order.seller)
    seller.goto(f"{url}/orders/{order.pk}/#claim-{claim.pk}")
    seller.get_by_label("Your answer").fill("The dent shows in listing photo 4.")
    seller.get_by_label("Photos (JPEG, PNG or PDF, up to 10)").set_input_files(str(photo))
    seller.get_by_role("button", name="Send your answer").click()
    expect(seller.get_by_test_id("claim-status")).to_have_text("With our staff for a decision")

    # support sees the claim but is offered no refund, and a refund posted anyway is refused
    support = open_page(browser, url, member(user_factory, "support"))
    support.goto(f"{url}/admin/")
    support.locator('[data-attention="claims"] a').click()
    support.get_by_role("link", name=f"Claim #{claim.pk}").click()
    expect(support.locator("[data-claim-messages]")).to_contain_text("listing photo 4")
    expect(support.get_by_label("Outcome")).not_to_contain_text("Partial refund")
    token = support.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    refused = support.request.post(
        f"{url}/admin/fulfillment/claim/{claim.pk}/decide/",
        form={"csrfmiddlewaretoken": token or "", "outcome": "partial_refund", "amount": "500.00", "reason": "x"},
        headers={"Referer": f"{url}/admin/fulfillment/claim/{claim.pk}/change/"},
    )
    assert refused.status == 403
    assert not Payment.objects.filter(kind=Payment.Kind.REFUND).exists()

    # finance decides a partial refund from the claim page
    finance = open_page(browser, url, member(user_factory, "finance"))
    finance.goto(f"{url}/admin/fulfillment/claim/?deadline=open")
    finance.get_by_role("link", name=f"Claim #{claim.pk}").click()
    finance.get_by_label("Outcome").select_option("partial_refund")
    finance.get_by_label("Refund amount").fill("500.00")
    finance.get_by_label("Reason").fill("Repair estimate for the tailgate; the seller's photo shows another panel.")
    finance.get_by_role("button", name="Record the decision").click()
    expect(finance.locator(".messagelist")).to_contain_text("Partial refund")
    expect(finance.locator("[data-proceeds-net]")).to_have_text("$11,200.00")  # 12,000 − 300 fee − 500

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DECIDED
    assert Order.objects.get(pk=order.pk).amount_refunded == Decimal("500.00")
    assert SellerProceeds.objects.get(order=order).net == Decimal("11200.00")

    # both parties are told and see the decision; the seller sees the deduction on their proceeds
    for page in (buyer, seller):
        page.goto(f"{url}/notifications/")
        expect(page.locator("body")).to_contain_text(f"Claim #{claim.pk} decided: Partial refund")
    buyer.goto(f"{url}/orders/{order.pk}/")
    expect(buyer.get_by_test_id("claim-decision")).to_contain_text("$500.00 refunded")
    seller.goto(f"{url}/orders/{order.pk}/")
    expect(seller.get_by_test_id("proceeds-net")).to_have_text("$11,200.00")
    expect(seller.locator("#proceeds")).to_contain_text(f"Claim #{claim.pk}: partial refund to the buyer")


def test_a_full_refund_with_return_the_buyer_sends_the_vehicle_back_and_the_seller_confirms(
    claims_server: str, browser: Browser, paid_order, fake_authorize_net, user_factory
):
    """Finance decides a full refund with return; the order page shows each side its step and deadline; the buyer
    says it is on its way, the seller confirms; the console's claim page follows."""
    from fulfillment.tests.test_claims import open_damage_claim

    url = claims_server
    order = deliver(paid_order(price=Decimal("9000.00")))
    fake_authorize_net.settle_all()
    claim = open_damage_claim(order)
    finance = open_page(browser, url, member(user_factory, "finance"))
    finance.goto(f"{url}/admin/fulfillment/claim/{claim.pk}/change/")
    finance.get_by_label("Outcome").select_option("full_refund_return")
    finance.get_by_label("Reason").fill("Frame damage the condition report did not state; the seller takes it back.")
    finance.get_by_role("button", name="Record the decision").click()
    expect(finance.locator("[data-claim-return]")).to_contain_text("the buyer returns the vehicle by")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RETURNING
    assert Order.objects.get(pk=order.pk).status == Order.Status.REFUNDED

    buyer = open_page(browser, url, order.buyer)
    buyer.goto(f"{url}/orders/{order.pk}/#claim-{claim.pk}")
    expect(buyer.get_by_test_id("next-action")).to_contain_text("Return the vehicle to the seller")
    sent = buyer.get_by_test_id("return-sent-form")
    sent.get_by_label("How you returned it").fill("Dropped at the seller's lot")
    sent.get_by_role("button", name="The vehicle is on its way back").click()
    expect(buyer.get_by_test_id("claim-return")).to_contain_text("The seller confirms receipt by")

    seller = open_page(browser, url, order.seller)
    seller.goto(f"{url}/orders/{order.pk}/#claim-{claim.pk}")
    expect(seller.get_by_test_id("next-action")).to_contain_text("Confirm the vehicle is back with you")
    expect(seller.get_by_test_id("claim-return")).to_contain_text("Dropped at the seller's lot")
    seller.get_by_test_id("return-received-form").get_by_role("button", name="The vehicle is back with me").click()
    expect(seller.get_by_test_id("claim-return")).to_contain_text("The vehicle is back with the seller")
    claim.refresh_from_db()
    assert (claim.status, claim.return_step) == (ClaimStatus.DECIDED, "returned")
    buyer.goto(f"{url}/notifications/")
    expect(buyer.locator("body")).to_contain_text("The vehicle is back with the seller")
    finance.reload()
    expect(finance.locator("[data-claim-return]")).to_contain_text("Back with the seller")
