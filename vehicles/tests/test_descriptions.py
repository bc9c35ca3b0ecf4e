"""AI descriptions: the real OpenAI client against a local fake (structured output, error bodies),
the sandbox without a key, and the API leaving the listing untouched on failure."""

import json

import pytest

from core.errors import VendorUnavailable
from tests.fakes.openai import API_KEY
from vehicles.descriptions import OpenAIDescriptionWriter, SandboxDescriptionWriter
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db

FACTS = {"year": 2019, "make": "Toyota", "model": "Camry", "trim": "SE", "mileage": 41200, "engine": "2.5L 4-cylinder",
         "condition_notes": "Small dent on the rear door"}  # fmt: skip


def writer():
    return OpenAIDescriptionWriter(max_retries=0)


def test_openai_draft_uses_a_strict_json_schema(fake_openai):
    draft = writer().draft(FACTS)
    assert draft.source == "openai"
    assert "2019 Toyota Camry SE" in draft.headline
    assert "Small dent on the rear door" in draft.description
    assert "- 2.5L 4-cylinder" in draft.text
    request = fake_openai.requests[0]
    assert request["auth"] == f"Bearer {API_KEY}"
    schema = request["body"]["response_format"]["json_schema"]
    assert schema["strict"] is True
    assert schema["schema"]["required"] == ["headline", "description", "highlights"]
    assert "mileage: 41200" in request["body"]["messages"][-1]["content"]


def test_rate_limit_becomes_a_clear_message(fake_openai):
    fake_openai.mode = "rate_limit"
    with pytest.raises(VendorUnavailable, match="busy right now"):
        writer().draft(FACTS)


def test_bad_key_becomes_a_clear_message(fake_openai):
    fake_openai.mode = "auth"
    with pytest.raises(VendorUnavailable, match="not available"):
        writer().draft(FACTS)


def test_garbled_answer_becomes_a_clear_message(fake_openai):
    fake_openai.mode = "garbage"
    with pytest.raises(VendorUnavailable, match="garbled"):
        writer().draft(FACTS)


def test_unreachable_openai_becomes_a_clear_message(settings):
    settings.VENDOR_HTTP_TIMEOUT = 0.5
    unreachable = OpenAIDescriptionWriter(api_key="sk-x", base_url="http://127.0.0.1:9/v1", max_retries=0)
    with pytest.raises(VendorUnavailable, match="did not answer"):
        unreachable.draft(FACTS)


def test_sandbox_writes_a_plain_description_from_the_specs():
    draft = SandboxDescriptionWriter().draft({**FACTS, "features": ["Heated seats"], "exterior_color": "Blue"})
    assert "2019 Toyota Camry SE" in draft.text
    assert "41,200 miles" in draft.text
    assert "Small dent on the rear door" in draft.text
    assert "- Heated seats" in draft.text


def test_draft_description_api_uses_unsaved_form_values(auth_client, vehicle_factory, fake_openai):
    vehicle = vehicle_factory(status=Vehicle.Status.DRAFT, description="My own words")
    response = auth_client(vehicle.seller).post(
        f"/api/vehicles/{vehicle.pk}/draft-description", {"condition_notes": "Cracked tail light"}, format="json"
    )
    assert response.status_code == 200
    assert "Cracked tail light" in response.json()["data"]["text"]
    vehicle.refresh_from_db()
    assert vehicle.description == "My own words"  # a draft is never saved for the seller


def test_draft_description_api_failure_leaves_the_listing_untouched(auth_client, vehicle_factory, fake_openai):
    fake_openai.mode = "rate_limit"
    vehicle = vehicle_factory(status=Vehicle.Status.DRAFT, description="My own words")
    response = auth_client(vehicle.seller).post(f"/api/vehicles/{vehicle.pk}/draft-description", {}, format="json")
    assert response.status_code == 503
    assert "your text was not changed" in response.json()["error"]
    vehicle.refresh_from_db()
    assert vehicle.description == "My own words"


def test_draft_description_without_a_key_uses_the_sandbox(auth_client, vehicle_factory):
    vehicle = vehicle_factory(status=Vehicle.Status.DRAFT)
    response = auth_client(vehicle.seller).post(f"/api/vehicles/{vehicle.pk}/draft-description", {}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["source"] == "sandbox"


def test_another_seller_cannot_draft_my_description(auth_client, vehicle_factory, seller_factory):
    vehicle = vehicle_factory(status=Vehicle.Status.DRAFT)
    response = auth_client(seller_factory()).post(f"/api/vehicles/{vehicle.pk}/draft-description", {}, format="json")
    assert response.status_code == 403
    assert json.loads(response.content)["error"]


def test_the_prompt_carries_the_condition_report_damage_by_panel_title_brand_runs_drives_and_keys(
    auth_client, vehicle_factory, fake_openai
):
    # given a draft with a structured condition report: salvage title, runs and drives, 2 keys, two damaged panels
    vehicle = vehicle_factory(
        status=Vehicle.Status.DRAFT,
        title_type=Vehicle.TitleType.SALVAGE,
        title_state="MN",
        starts="yes",
        drives="yes",
        keys_count=2,
        odometer_brand="not_actual",
        airbags_deployed="no",
        damage=[
            {"panel": "hood", "type": "hail", "severity": "minor", "photo_id": None},
            {"panel": "left_front_door", "type": "dent", "severity": "moderate", "photo_id": None},
        ],
    )
    # when the seller asks for a draft with the form's unsaved change: the rear bumper is cracked too
    response = auth_client(vehicle.seller).post(
        f"/api/vehicles/{vehicle.pk}/draft-description",
        {
            "damage": [
                {"panel": "hood", "type": "hail", "severity": "minor"},
                {"panel": "left_front_door", "type": "dent", "severity": "moderate"},
                {"panel": "rear_bumper", "type": "crack", "severity": "severe"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200
    # then the prompt OpenAI receives states the condition report in words
    prompt = fake_openai.requests[0]["body"]["messages"][-1]["content"]
    assert "runs and drives: yes" in prompt
    assert "keys: 2" in prompt
    assert "title brand: Salvage (branded title, MN)" in prompt
    assert "odometer brand: Not actual mileage (odometer discrepancy)" in prompt
    assert "airbags deployed: No" in prompt
    assert "damage by panel: Hood: hail, minor; Left front door: dent, moderate; Rear bumper: crack, severe" in prompt


def test_the_prompt_says_no_damage_and_no_keys_when_the_report_says_so(vehicle_factory, fake_openai):
    from vehicles.descriptions import facts_text
    from vehicles.services.descriptions import vehicle_facts

    vehicle = vehicle_factory(status=Vehicle.Status.DRAFT, starts="no", drives="no", keys_count=0, damage=[])
    text = facts_text(vehicle_facts(vehicle))
    assert "runs and drives: no (starts: No; drives: No)" in text
    assert "keys: none" in text
    assert "damage by panel: none reported" in text
    assert "title brand: Clean" in text


def test_the_sandbox_draft_mentions_the_condition_report():
    draft = SandboxDescriptionWriter().draft(
        {**FACTS, "runs_and_drives": "yes", "keys": "2", "damage_by_panel": "Hood: hail, minor"}
    )
    assert "Runs and drives" in draft.text
    assert "2 keys" in draft.text
    assert "Hood: hail, minor" in draft.text
