"""The built-in vendor sandboxes (`make run`, browser journeys): same interface as the real clients, state in
the database so the web server, worker and beat agree, one step per configured interval."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fulfillment.models import SandboxRecord
from fulfillment.super_dispatch import OrderRequest, SandboxCarrierNetwork, Venue, get_carrier_network
from fulfillment.title_vendor import SandboxTitleService, get_title_service

pytestmark = pytest.mark.django_db


def request(number="NS-1-T1"):
    venue = Venue("Seller", "1 Main", "Minneapolis", "MN", "55401", "Sam", "612")
    return OrderRequest(
        number=number, price="250.00", transport_type="OPEN", customer={"name": "B"}, pickup=venue,
        delivery=Venue("Bea", "2 Oak", "Chicago", "IL", "60601", "Bea", "312"), pickup_scheduled_at=timezone.now(),
        vin="1HGCM82633A004352", year=2018, make="Honda", model="Accord", vehicle_type="sedan", is_inoperable=False,
    )  # fmt: skip


def age(vendor, external_id, seconds):
    SandboxRecord.objects.filter(vendor=vendor, external_id=external_id).update(
        created_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_without_credentials_the_sandboxes_are_used(settings):
    settings.SUPER_DISPATCH_CLIENT_ID = settings.TITLE_TRANSFER_API_KEY = ""
    assert isinstance(get_carrier_network(), SandboxCarrierNetwork)
    assert isinstance(get_title_service(), SandboxTitleService)


def test_the_carrier_sandbox_moves_an_order_one_step_per_interval(settings):
    settings.SUPER_DISPATCH_SANDBOX_STEP_SECONDS = 60
    network = SandboxCarrierNetwork()
    created = network.create_order(request())
    assert created.status == "new"
    assert not created.carrier_name
    for seconds, status in ((61, "accepted"), (121, "picked_up"), (181, "delivered"), (10_000, "delivered")):
        age("super_dispatch", created.guid, seconds)
        report = network.get_order(created.guid)
        assert report.status == status
    assert report.carrier_name
    assert report.driver_phone
    assert report.delivered_at
    assert report.signature_name == "Bea"
    assert network.create_order(request()).guid == created.guid  # the same order number is the same order
    assert network.update_order(created.guid, {"status": "canceled"}).status == "canceled"


def test_the_title_sandbox_files_and_issues_on_a_timer_and_honours_the_idempotency_key(settings):
    settings.TITLE_TRANSFER_SANDBOX_STEP_SECONDS = 30
    service = SandboxTitleService()
    first = service.create_transfer(body={"external_id": "NS-1", "state": "MN"}, idempotency_key="NS-1-title-1")
    assert (
        service.create_transfer(body={"external_id": "NS-1", "state": "MN"}, idempotency_key="NS-1-title-1").id
        == first.id
    )
    assert first.status == "submitted"
    age("title_transfer", first.id, 95)
    issued = service.get_transfer(first.id)
    assert issued.status == "title_issued"
    assert issued.title_number.startswith("MN")
