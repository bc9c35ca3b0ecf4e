"""Every link that leaves a page (emails, notifications) starts with the site's real base URL, SITE_URL;
stored notification links are site paths. Issue 16 item 1: under `PORT=8001 make run` they all said :8000."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail

from auctions.services import auction_close
from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db
SITE = "http://127.0.0.1:8123"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def site_on_port_8123(settings):
    settings.SITE_URL = SITE


def links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


def assert_every_link_on_the_site(message) -> None:
    found = links(message.body) + links(message.alternatives[0][0] if message.alternatives else "")
    assert found, "the email carries no link at all"
    for url in found:
        if url.startswith("http://www.w3.org/"):
            continue
        assert url == SITE or url.startswith(SITE + "/"), url


def test_auction_close_notices_store_paths_and_email_links_carry_the_sites_port(
    live_auction, bidder_factory, place_bid, django_capture_on_commit_callbacks
):
    # given a winner and a loser on an auction
    winner, loser = bidder_factory(), bidder_factory()
    place_bid(live_auction, loser, "5000")
    place_bid(live_auction, winner, "6000")

    # when it closes
    with django_capture_on_commit_callbacks(execute=True):
        auction_close(auction_id=live_auction.pk, now=live_auction.ends_at + timedelta(seconds=1))

    # then the bell entries link to the auction by its site path
    path = f"/auctions/{live_auction.pk}/"
    assert Notification.objects.get(user=winner, kind="auction_won").url == path
    assert Notification.objects.get(user=loser, kind="auction_lost").url == path
    # and every link in their emails ("View", "Bid again", "Unsubscribe", "Manage preferences") is on :8123
    lost = next(m for m in mail.outbox if m.to == [loser.email] and "auction_lost" in str(m.metadata))
    assert SITE + path in lost.body
    assert f"Unsubscribe from these emails: {SITE}/notifications/unsubscribe/" in lost.body
    assert f"Manage preferences: {SITE}/notifications/preferences/" in lost.body
    for message in mail.outbox:
        assert_every_link_on_the_site(message)
        assert ":8000" not in message.body


def test_order_notices_link_to_the_order_by_path(order_factory, django_capture_on_commit_callbacks):
    from orders.services import order_url

    order = order_factory()
    assert order_url(order) == f"/orders/{order.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            user=order.buyer,
            kind="payment_overdue",
            context={"order_number": order.number, "late_fee": "50", "url": order_url(order)},
        )
    assert Notification.objects.get(user=order.buyer).url == f"/orders/{order.pk}/"
    assert f"{SITE}/orders/{order.pk}/" in mail.outbox[-1].body


def test_the_verification_email_names_and_links_the_site_on_its_port(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/signup/",
            {"email": "port.person@example.test", "password1": "a-long-pass-2026!", "password2": "a-long-pass-2026!"},
        )
    body = mail.outbox[-1].body
    assert f"{SITE}/accounts/confirm-email/" in body
    assert "127.0.0.1:8123" in body
    assert ":8000" not in body
    assert_every_link_on_the_site(mail.outbox[-1])


def test_the_password_reset_email_links_to_the_sites_port(user, client, django_capture_on_commit_callbacks):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": user.email})
    assert f"{SITE}/accounts/password/reset/key/" in mail.outbox[-1].body
    assert_every_link_on_the_site(mail.outbox[-1])


def test_a_bell_entry_stored_with_an_absolute_site_link_opens_its_path_on_this_host(client, user):
    # rows written before links were stored as paths
    old = Notification.objects.create(user=user, kind="outbid", title="t", url=f"{SITE}/auctions/7/")
    client.force_login(user)
    response = client.get(f"/notifications/{old.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/auctions/7/"


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [("127.0.0.1", "8123", "http://127.0.0.1:8123"), ("0.0.0.0", "8302", "http://127.0.0.1:8302")],  # noqa: S104
)
def test_make_runs_settings_take_site_url_from_host_and_port(host, port, expected):
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(HOST=host, PORT=port, DJANGO_SETTINGS_MODULE="config.settings.local")
    code = "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    out = subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == expected


def test_run_local_exports_site_url_from_host_and_port():
    script = (ROOT / "scripts" / "run-local.sh").read_text()
    assert "export SITE_URL=${SITE_URL:-http://$url_host:$PORT}" in script
    assert "export HOST PORT" in (ROOT / "Makefile").read_text()
