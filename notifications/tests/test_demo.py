"""Demo data for `make run`: welcome notifications for the demo users, once."""

import io

import pytest
from django.core import mail

from notifications import demo
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_seed_welcomes_each_demo_user_once_in_app_only(user_factory, django_capture_on_commit_callbacks):
    buyer = user_factory(email="buyer@demo.test", first_name="Bea")
    user_factory(email="someone@example.test")

    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(io.StringIO())
        demo.seed(io.StringIO())

    assert set(Notification.objects.values_list("user_id", flat=True)) == {buyer.pk}
    assert Notification.objects.count() == 2
    assert "Hi Bea!" in Notification.objects.get(object_key="demo-welcome").body
    assert mail.outbox == []  # welcome notes are in-app only
