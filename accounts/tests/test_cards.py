"""Card on file through the real Authorize.Net client and the fake: save, decline, outage, reconcile, replace, remove."""

import threading
from datetime import date

import pytest
from django.db import connection

from accounts.authorize_net import CardInput, OpaqueCard
from accounts.models import AccountEvent, CardOnFile, User
from accounts.services import CardDeclined, card_remove, card_save
from core.errors import NotAllowed, NotFound, VendorUnavailable

pytestmark = pytest.mark.django_db
NEXT_YEAR = date.today().year + 1
VISA = CardInput("4111111111111111", 12, NEXT_YEAR, "123")
MASTERCARD = CardInput("5424000000000015", 6, NEXT_YEAR, "123")


def test_save_validates_in_live_mode_and_stores_only_ids_brand_last_four_expiry(
    user, fake_authorize_net, sent_notifications, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        card = card_save(user=user, card=VISA)

    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("Visa", "1111", 12, NEXT_YEAR)
    assert card.customer_profile_id in fake_authorize_net.profiles
    assert "<validationMode>liveMode</validationMode>" in fake_authorize_net.raw_requests[-1].decode()
    sent = fake_authorize_net.raw_requests[-1].decode()
    assert f"<merchantCustomerId>user-{user.pk}</merchantCustomerId>" in sent
    assert "<zip>55401</zip>" in sent  # the profile's address is the billing address
    stored = {str(value) for value in CardOnFile.objects.filter(pk=card.pk).values().first().values()}
    assert not any("4111111111111111" in value for value in stored)
    assert AccountEvent.objects.get(user=user).kind == "card_added"
    assert sent_notifications[0]["kind"] == "card_validated"
    assert sent_notifications[0]["context"]["card"] == "Visa ending 1111"


def test_declined_card_raises_plain_reason_and_saves_nothing(user, fake_authorize_net):
    with pytest.raises(CardDeclined) as caught:
        card_save(user=user, card=CardInput("4000000000000002", 1, NEXT_YEAR))
    assert caught.value.message.startswith("Your bank declined this card.")
    assert "This transaction has been declined." in caught.value.message
    assert not CardOnFile.objects.exists()
    assert not AccountEvent.objects.exists()


def test_billing_zip_46282_is_declined(user, fake_authorize_net):
    User.objects.filter(pk=user.pk).update(postal_code="46282")
    user.refresh_from_db()
    with pytest.raises(CardDeclined):
        card_save(user=user, card=VISA)


def test_invalid_number_says_so_in_plain_words(user, fake_authorize_net):
    with pytest.raises(CardDeclined, match="card number is not valid"):
        card_save(user=user, card=CardInput("4111111111111112", 1, NEXT_YEAR))


def test_gateway_down_means_try_again_and_nothing_saved(user, fake_authorize_net):
    fake_authorize_net.fail_status = 503
    with pytest.raises(VendorUnavailable, match="try again"):
        card_save(user=user, card=VISA)
    assert not CardOnFile.objects.exists()


def test_timeout_after_the_gateway_kept_the_profile_is_reconciled_on_retry(user, fake_authorize_net, settings):
    settings.AUTHORIZE_NET_TIMEOUT = 0.3
    fake_authorize_net.delay = 0.6
    with pytest.raises(VendorUnavailable):
        card_save(user=user, card=VISA)
    assert not CardOnFile.objects.exists()
    import time

    time.sleep(0.5)  # the slow request finishes at the gateway: a profile exists there, not here
    assert len(fake_authorize_net.profiles) == 1
    fake_authorize_net.delay = 0

    card = card_save(user=user, card=VISA)

    (profile_id,) = fake_authorize_net.profiles
    assert card.customer_profile_id == profile_id  # E00039 handed back the existing profile
    assert len(fake_authorize_net.profiles[profile_id].payment_profiles) == 1


def test_replace_adds_the_new_card_to_the_same_profile_and_deletes_the_old_one(user, fake_authorize_net):
    first = card_save(user=user, card=VISA)
    old_payment_profile = first.payment_profile_id

    second = card_save(user=user, card=MASTERCARD)

    assert second.pk == first.pk
    assert second.label == "MasterCard ending 0015"
    payment_profiles = fake_authorize_net.profiles[second.customer_profile_id].payment_profiles
    assert set(payment_profiles) == {second.payment_profile_id}
    assert old_payment_profile not in payment_profiles
    event = AccountEvent.objects.filter(user=user).last()
    assert (event.kind, event.from_status, event.to_status) == (
        "card_replaced",
        "Visa ending 1111",
        "MasterCard ending 0015",
    )


def test_declined_replacement_keeps_the_old_card(user, fake_authorize_net):
    card_save(user=user, card=VISA)
    with pytest.raises(CardDeclined):
        card_save(user=user, card=CardInput("4000000000000002", 1, NEXT_YEAR))
    assert CardOnFile.objects.get(user=user).label == "Visa ending 1111"


def test_accept_js_nonce_is_sent_as_opaque_data(user, fake_authorize_net):
    nonce = OpaqueCard(
        "COMMON.ACCEPT.INAPP.PAYMENT", f"fake-nonce:6011000000000012:{NEXT_YEAR}-03", 3, NEXT_YEAR, "0012"
    )
    card = card_save(user=user, card=nonce)
    assert (card.brand, card.last4, card.exp_month) == ("Discover", "0012", 3)
    assert "<cardNumber>" not in fake_authorize_net.raw_requests[-1].decode()


def test_remove_deletes_at_the_gateway_then_here(user, fake_authorize_net):
    card = card_save(user=user, card=VISA)
    card_remove(user=user)
    assert card.customer_profile_id not in fake_authorize_net.profiles
    assert not CardOnFile.objects.exists()
    assert AccountEvent.objects.filter(user=user).last().kind == "card_removed"


def test_remove_while_gateway_is_down_keeps_the_card(user, fake_authorize_net):
    card_save(user=user, card=VISA)
    fake_authorize_net.fail_status = 500
    with pytest.raises(VendorUnavailable):
        card_remove(user=user)
    assert CardOnFile.objects.filter(user=user).exists()


def test_remove_without_card_is_not_found(user):
    with pytest.raises(NotFound):
        card_remove(user=user)


def test_suspended_user_cannot_add_a_card(user, fake_authorize_net):
    from django.utils import timezone

    user.suspended_at = timezone.now()
    with pytest.raises(NotAllowed):
        card_save(user=user, card=VISA)
    assert fake_authorize_net.total_requests() == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_leave_exactly_one_card_row(user, fake_authorize_net):
    errors = []

    def save(card: CardInput) -> None:
        try:
            card_save(user=user, card=card)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(c,)) for c in (VISA, MASTERCARD)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert CardOnFile.objects.filter(user=user).count() == 1
    assert len(fake_authorize_net.profiles) == 1
