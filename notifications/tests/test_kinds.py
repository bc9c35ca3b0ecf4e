"""The kinds registry: every kind other apps call exists, and its words survive missing context keys."""

import pytest

from notifications.kinds import KINDS, UnknownKind, get_kind
from notifications.rendering import render_in_app
from notifications.templatetags.notification_format import usd, when, words

# The contract other engineers already call (issue #4): kind -> context keys besides "url".
CALLED_KINDS = {
    "seller_application_approved": (),
    "seller_application_rejected": ("reason",),
    "identity_verification_result": ("status",),
    "card_validated": ("card",),
    "account_suspended": ("reason",),
    "vehicle_approved": ("vehicle",),
    "vehicle_rejected": ("vehicle", "reason"),
    "outbid": ("vehicle", "auction_url", "current_price", "your_max"),
    "auction_won": ("vehicle", "price", "order_url"),
    "auction_lost": ("vehicle", "price"),
    "auction_ending_soon": ("vehicle", "auction_url", "ends_at"),
    "auction_ended_seller": ("vehicle", "outcome", "price"),
    "reserve_not_met_decision": ("vehicle", "high_bid", "decide_by"),
    "bid_voided": ("vehicle", "reason", "auction_url"),
    "new_comment": ("vehicle", "auction_url", "author"),
    "offer_received": ("vehicle", "amount"),
    "offer_countered": ("vehicle", "amount"),
    "offer_accepted": ("vehicle", "amount"),
    "offer_declined": ("vehicle",),
    "offer_expired": ("vehicle",),
    "invoice_issued": ("order_number", "total", "due_date"),
    "payment_received": ("order_number", "amount"),
    "payment_failed": ("order_number", "reason"),
    "payment_overdue": ("order_number", "late_fee"),
    "refund_issued": ("order_number", "amount"),
    "staff_alert": ("subject", "message"),
    "title_status": ("order_number", "status"),
    "transport_status": ("order_number", "status"),
}
SAMPLE = {
    "vehicle": "2018 Honda Accord EX-L",
    "reason": "Photos are blurry",
    "status": "picked_up",
    "card": "Visa ending 1111",
    "auction_url": "/auctions/4/",
    "current_price": "12500",
    "your_max": "12000.00",
    "price": "15000.00",
    "order_url": "/orders/7/",
    "ends_at": "2026-11-03T22:15:00+00:00",
    "outcome": "sold",
    "high_bid": "9000",
    "decide_by": "2026-11-04T22:15:00Z",
    "author": "Ben B.",
    "amount": "9500",
    "order_number": "NS-1001",
    "total": "16099.00",
    "due_date": "2026-11-06",
    "late_fee": "50.00",
    "subject": "Order NS-1001 overdue",
    "message": "Buyer has not paid",
}
SHOWN_AS = {"current_price": "$12,500.00", "your_max": "$12,000.00", "price": "$15,000.00", "high_bid": "$9,000.00",
            "amount": "$9,500.00", "total": "$16,099.00", "late_fee": "$50.00", "status": "picked up",
            "ends_at": "Nov 3, 2026 4:15 PM CST", "decide_by": "Nov 4, 2026 4:15 PM CST", "due_date": "Nov 6, 2026"}  # fmt: skip
NOT_SHOWN = {"auction_url", "order_url", "outcome"}  # links, or words chosen from the value


def test_every_kind_other_apps_call_is_declared_with_its_context_keys():
    for name, keys in CALLED_KINDS.items():
        assert name in KINDS, name
        assert set(keys) <= set(KINDS[name].keys) | {"url"}, name


@pytest.mark.parametrize("name", sorted(KINDS))
def test_kind_renders_clean_words_without_any_context(name):
    rendered = render_in_app(KINDS[name], {})
    assert rendered.title
    assert rendered.body
    for text in (rendered.title, rendered.body):
        for bad in ("None", " .", "  ", "$.", "{", "}", " ,"):
            assert bad not in text, (name, text)


@pytest.mark.parametrize("name", sorted(CALLED_KINDS))
def test_kind_shows_every_context_value_it_is_given(name):
    rendered = render_in_app(KINDS[name], SAMPLE)
    text = rendered.title + " " + rendered.body
    for key in CALLED_KINDS[name]:
        if key in NOT_SHOWN:
            continue
        assert SHOWN_AS.get(key, SAMPLE[key]) in text, (name, key, text)


def test_link_comes_from_url_then_order_url_then_auction_url():
    assert render_in_app(KINDS["auction_won"], {"order_url": "/orders/7/"}).url == "/orders/7/"
    assert render_in_app(KINDS["outbid"], {"auction_url": "/auctions/4/", "url": "/x/"}).url == "/x/"


def test_security_account_and_payment_kinds_cannot_be_turned_off():
    locked = {name for name, kind in KINDS.items() if not kind.optional}
    assert {"account_suspended", "card_validated", "identity_verification_result", "invoice_issued",
            "payment_failed", "payment_overdue", "payment_received", "refund_issued"} <= locked  # fmt: skip
    assert "outbid" not in locked


def test_unknown_kind_is_refused():
    with pytest.raises(UnknownKind):
        get_kind("no_such_kind")


def test_format_filters_accept_anything():
    assert usd("1234.5") == "$1,234.50"
    assert usd("$1,000") == "$1,000.00"
    assert usd("n/a") == "n/a"
    assert usd(None) == ""
    assert when("tomorrow noon") == "tomorrow noon"
    assert when("2026-01-15T18:00:00Z") == "Jan 15, 2026 12:00 PM CST"
    assert words("picked_up") == "picked up"


def test_a_broken_template_falls_back_to_the_kind_label_instead_of_raising():
    from notifications.kinds import Kind

    broken = Kind("broken", "general", "{{ missing|default:other_missing }}", "{{ x|default:y }}")

    rendered = render_in_app(broken, {})

    assert rendered.title == "Broken"
    assert rendered.body == ""
