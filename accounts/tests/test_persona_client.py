"""The real Persona client over HTTP against the local fake."""

import time
import uuid

import pytest

from accounts.persona import API_VERSION, PersonaClient, PersonaNotFound, SandboxPersona, get_persona
from core.errors import VendorUnavailable


@pytest.fixture
def persona(fake_persona) -> PersonaClient:
    client = get_persona()
    assert isinstance(client, PersonaClient)
    return client


def test_create_inquiry_sends_template_reference_and_required_headers(persona, fake_persona):
    inquiry = persona.create_inquiry(reference_id="42", idempotency_key="user-42-inquiry-1")

    assert inquiry.id.startswith("inq_")
    assert (inquiry.status, inquiry.reference_id) == ("created", "42")
    headers = fake_persona.headers_seen[-1]
    assert headers["Authorization"] == "Bearer persona_sandbox_fake_key"
    assert headers["Persona-Version"] == API_VERSION
    assert headers["Idempotency-Key"] == "user-42-inquiry-1"


def test_same_idempotency_key_returns_the_same_inquiry(persona, fake_persona):
    first = persona.create_inquiry(reference_id="42", idempotency_key="k-1")
    second = persona.create_inquiry(reference_id="42", idempotency_key="k-1")
    assert first.id == second.id
    assert len(fake_persona.inquiries) == 1


def test_get_inquiry_reads_the_current_status(persona, fake_persona):
    inquiry = persona.create_inquiry(reference_id="7", idempotency_key="k-2")
    fake_persona.set_status(inquiry.id, "approved")
    fetched = persona.get_inquiry(inquiry.id)
    assert fetched.status == "approved"
    assert fetched.completed_at


def test_unknown_inquiry_is_not_found(persona):
    with pytest.raises(PersonaNotFound):
        persona.get_inquiry("inq_doesnotexist")


def test_hosted_flow_url_is_the_one_time_link_with_our_redirect(persona, fake_persona):
    inquiry = persona.create_inquiry(reference_id="7", idempotency_key="k-3")
    url = persona.hosted_flow_url(inquiry_id=inquiry.id, redirect_uri="http://testserver/account/identity/return/")
    assert url.startswith(f"{fake_persona.base_url}/verify?code=")
    assert "redirect-uri=http%3A%2F%2Ftestserver%2Faccount%2Fidentity%2Freturn%2F" in url


@pytest.mark.parametrize("status", [500, 503, 429])
def test_vendor_errors_are_retryable_unavailable(persona, fake_persona, status):
    fake_persona.fail_status = status
    with pytest.raises(VendorUnavailable, match="try again"):
        persona.create_inquiry(reference_id="1", idempotency_key="k-4")


def test_bad_api_key_is_unavailable_not_a_crash(persona, fake_persona):
    fake_persona.api_key = "other"
    with pytest.raises(VendorUnavailable):
        persona.get_inquiry("inq_x")


def test_slow_persona_is_cut_off_by_the_timeout(persona, fake_persona):
    fake_persona.delay = 2.0
    started = time.monotonic()
    with pytest.raises(VendorUnavailable):
        persona.create_inquiry(reference_id="1", idempotency_key="k-5")
    assert time.monotonic() - started < 1.8


def test_without_api_key_the_sandbox_is_used(settings):
    settings.PERSONA_API_KEY = ""
    assert isinstance(get_persona(), SandboxPersona)


def test_sandbox_is_idempotent_and_decisions_change_its_state(settings):
    sandbox = SandboxPersona()
    key = f"sandbox-{uuid.uuid4().hex}"  # the sandbox keeps state in the (shared, persistent) cache
    first = sandbox.create_inquiry(reference_id="5", idempotency_key=key)
    again = sandbox.create_inquiry(reference_id="5", idempotency_key=key)
    assert first.id == again.id
    assert first.status == "created"
    sandbox.decide(first.id, "approved")
    assert sandbox.get_inquiry(first.id).status == "approved"
    assert sandbox.hosted_flow_url(inquiry_id=first.id, redirect_uri="x").startswith(
        f"/account/identity/sandbox/{first.id}/"
    )
