"""bidding_eligibility: each requirement in order, and the make_user_eligible fixture contract."""

from datetime import date

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser

from accounts.models import CardOnFile, IdentityVerification
from accounts.selectors import bidding_eligibility, readiness_steps, selling_eligibility
from tests.fixtures.accounts import make_user_eligible

pytestmark = pytest.mark.django_db


def test_anonymous_must_log_in():
    assert bidding_eligibility(AnonymousUser()).codes == ["login"]
    assert bidding_eligibility(None).codes == ["login"]
    assert selling_eligibility(AnonymousUser()).codes == ["login"]


def test_new_user_needs_email_identity_and_card_in_that_order(user):
    eligibility = bidding_eligibility(user)
    assert eligibility.codes == ["email", "identity", "card"]
    assert [r.url for r in eligibility.missing] == ["/accounts/email/", "/account/identity/", "/account/card/"]
    assert eligibility.message.startswith("Before you can bid: verify your email address; verify your identity")


def test_make_user_eligible_makes_every_requirement_pass(user):
    make_user_eligible(user)
    assert bidding_eligibility(user).ok
    assert bidding_eligibility(user).message == "Ready to bid."
    assert all(step.done for step in readiness_steps(user))


@pytest.mark.parametrize("status", ["pending", "needs_review", "declined", "expired", "not_started"])
def test_identity_not_approved_blocks_bidding(user, status):
    make_user_eligible(user)
    IdentityVerification.objects.filter(user=user).update(status=status)
    assert bidding_eligibility(user).codes == ["identity"]


def test_expired_card_blocks_bidding(user):
    make_user_eligible(user)
    CardOnFile.objects.filter(user=user).update(exp_year=date.today().year - 1)
    assert bidding_eligibility(user).codes == ["card"]


def test_unverified_email_blocks_bidding(user):
    make_user_eligible(user)
    EmailAddress.objects.filter(user=user).update(verified=False)
    assert bidding_eligibility(user).codes == ["email"]


def test_eligibility_costs_a_fixed_small_number_of_queries(user, django_assert_max_num_queries):
    make_user_eligible(user)
    with django_assert_max_num_queries(3):
        assert bidding_eligibility(user).ok


def test_buyer_cannot_sell_until_approved(user):
    assert selling_eligibility(user).codes == ["seller"]
