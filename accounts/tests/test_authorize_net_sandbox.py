"""The in-process sandbox used by `make run` keeps the documented rules and the same interface."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.authorize_net import BillTo, CardInput, ProfileOutcome, TransactionStatus, get_gateway
from accounts.authorize_net_sandbox import SandboxGateway

NEXT_YEAR = date.today().year + 1
BILL_TO = BillTo("Bea", "Buyer", "1 Main", "Minneapolis", "MN", "55401")


@pytest.fixture
def sandbox(settings) -> SandboxGateway:
    settings.AUTHORIZE_NET_LOGIN_ID = ""
    gateway = get_gateway()
    assert isinstance(gateway, SandboxGateway)
    return gateway


@pytest.fixture
def profile(sandbox):
    return sandbox.create_customer_profile(
        merchant_customer_id="user-1",
        email="a@example.test",
        card=CardInput("4111111111111111", 12, NEXT_YEAR),
        bill_to=BILL_TO,
    )


@pytest.mark.parametrize(
    ("number", "zip_code", "reason"),
    [("4000000000000002", "55401", "2"), ("4111111111111111", "46282", "2"), ("4111111111111112", "55401", "6")],
)
def test_sandbox_declines_per_documented_rules(sandbox, number, zip_code, reason):
    result = sandbox.create_customer_profile(
        merchant_customer_id="user-2",
        email="b@example.test",
        card=CardInput(number, 1, NEXT_YEAR),
        bill_to=BillTo(zip=zip_code),
    )
    assert result.outcome == ProfileOutcome.DECLINED
    assert result.reason_code == reason


def test_sandbox_charge_duplicate_hold_refund_void_and_details(sandbox, profile):
    assert profile.ok
    assert (profile.brand, profile.last4) == ("Visa", "1111")
    charge = sandbox.charge_profile(
        customer_profile_id=profile.customer_profile_id,
        payment_profile_id=profile.payment_profile_id,
        amount=Decimal("100.00"),
        invoice_number="S-1",
    )
    assert charge.status == TransactionStatus.APPROVED
    duplicate = sandbox.charge_profile(
        customer_profile_id=profile.customer_profile_id,
        payment_profile_id=profile.payment_profile_id,
        amount=Decimal("100.00"),
        invoice_number="S-1",
    )
    assert duplicate.is_duplicate
    held = sandbox.charge_profile(
        customer_profile_id=profile.customer_profile_id,
        payment_profile_id=profile.payment_profile_id,
        amount=Decimal("10.04"),
        invoice_number="S-2",
    )
    assert held.status == TransactionStatus.HELD
    assert sandbox.refund(trans_id=charge.trans_id, amount=Decimal("100.00"), last4="1111").must_void_instead
    assert sandbox.void(trans_id=charge.trans_id).approved
    details = sandbox.get_transaction_details(trans_id=charge.trans_id)
    assert details.transaction_status == "voided"
    assert details.invoice_number == "S-1"
    assert sandbox.get_transaction_details(trans_id="1") is None


def test_sandbox_settles_after_the_configured_delay_then_a_partial_refund_works(sandbox, profile, settings):
    """Issue 16, item 11: `make run` settles after a short delay, so a partial refund can be tried there."""
    from unittest import mock

    from accounts import authorize_net_sandbox

    settings.AUTHORIZE_NET_SANDBOX_SETTLE_SECONDS = 120
    charge = sandbox.charge_profile(
        customer_profile_id=profile.customer_profile_id,
        payment_profile_id=profile.payment_profile_id,
        amount=Decimal("500.00"),
        invoice_number="S-settle",
    )
    assert sandbox.refund(trans_id=charge.trans_id, amount=Decimal("50.00"), last4="1111").must_void_instead
    later = authorize_net_sandbox.time.time() + 121
    with mock.patch.object(authorize_net_sandbox.time, "time", return_value=later):
        assert sandbox.get_transaction_details(trans_id=charge.trans_id).transaction_status == "settledSuccessfully"
        partial = sandbox.refund(trans_id=charge.trans_id, amount=Decimal("50.00"), last4="1111")
        assert partial.approved
        assert not sandbox.refund(trans_id=charge.trans_id, amount=Decimal("450.01"), last4="1111").approved
        # a refund with its own invoice number, sent again inside its duplicate window: a duplicate naming the first
        first = sandbox.refund(trans_id=charge.trans_id, amount=Decimal("20.00"), last4="1111",
                               invoice_number="S-settle-3", duplicate_window=28800)  # fmt: skip
        again = sandbox.refund(trans_id=charge.trans_id, amount=Decimal("20.00"), last4="1111",
                               invoice_number="S-settle-3", duplicate_window=28800)  # fmt: skip
        assert first.approved
        assert again.is_duplicate
        assert again.trans_id == first.trans_id
        assert sandbox.get_transaction_details(trans_id=first.trans_id).transaction_status == "refundPendingSettlement"


def test_make_run_settles_the_sandbox_after_two_minutes():
    import subprocess
    import sys

    code = "import django; django.setup(); from django.conf import settings; print(settings.AUTHORIZE_NET_SANDBOX_SETTLE_SECONDS)"
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.local", "REDIS_URL": "", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "120"
