"""VIN check digit and the decoders (ClearVIN → vPIC → offline) against local fakes, with caching."""

import pytest

from core.errors import VendorUnavailable
from tests.fixtures.vehicles import VALID_VINS
from vehicles.models import VinDecode
from vehicles.services import vin_decode
from vehicles.vin import ClearVinDecoder, InvalidVin, OfflineDecoder, VpicDecoder, check_digit, validate_vin


@pytest.mark.parametrize("vin", VALID_VINS)
def test_vin_with_correct_check_digit_is_accepted(vin):
    assert validate_vin(vin.lower()) == vin
    assert check_digit(vin) == vin[8]


def test_vin_with_wrong_check_digit_is_refused():
    with pytest.raises(InvalidVin, match="check digit"):
        validate_vin("5UXWX7C5XBA000000")


@pytest.mark.parametrize(
    ("vin", "why"),
    [
        ("1HGCM82633A00435", "17 characters"),
        ("1HGCM82633A0043521", "17 characters"),
        ("1HGCM8263OA004352", "never contains O"),
        ("IHGCM82633A004352", "never contains I"),
        ("1HGCM82633A00435Q", "never contains Q"),
        ("1HGCM82633A00435!", "never contains !"),
        ("", "17 characters"),
    ],
)
def test_malformed_vin_is_refused_with_a_reason(vin, why):
    with pytest.raises(InvalidVin, match=why):
        validate_vin(vin)


def test_vin_spaces_and_dashes_are_ignored():
    assert validate_vin(" 1hgcm826-33a004352 ") == "1HGCM82633A004352"


def test_vpic_decoder_maps_the_flat_string_results(fake_vpic):
    decoded = VpicDecoder().decode("1HGCM82633A004352", model_year=2003)
    assert decoded is not None
    assert decoded.source == "vpic"
    assert decoded.specs == {
        "year": 2003, "make": "Honda", "model": "Accord", "trim": "EX-V6", "body_type": "coupe",
        "engine": "3.0L 6-cylinder", "transmission": "automatic", "drivetrain": "fwd", "fuel_type": "gasoline",
    }  # fmt: skip
    assert decoded.raw["ErrorCode"] == "0"
    assert "modelyear=2003" in fake_vpic.requests[0]
    assert "format=json" in fake_vpic.requests[0]


def test_vpic_decoder_returns_none_for_a_vin_it_does_not_know(fake_vpic):
    assert VpicDecoder().decode("1M8GDM9AXKP042788") is None


def test_vpic_decoder_outage_raises_vendor_unavailable(fake_vpic):
    fake_vpic.fail_with = 503
    with pytest.raises(VendorUnavailable):
        VpicDecoder().decode("1HGCM82633A004352")


@pytest.mark.django_db
def test_clearvin_logs_in_once_and_reuses_its_token(fake_clearvin):
    decoder = ClearVinDecoder()
    first = decoder.decode("1G4AH59H45G118341")
    second = decoder.decode("1G4AH59H45G118341")
    assert first is not None
    assert second is not None
    assert first.specs["make"] == "Buick"
    assert first.specs["trim"] == "CXS"
    assert first.specs["body_type"] == "sedan"
    assert first.specs["drivetrain"] == "fwd"
    assert fake_clearvin.logins == 1


@pytest.mark.django_db
def test_clearvin_expired_token_is_refreshed_once(fake_clearvin):
    decoder = ClearVinDecoder()
    decoder.decode("1G4AH59H45G118341")
    fake_clearvin.tokens.clear()  # the vendor expired our token
    assert decoder.decode("1G4AH59H45G118341") is not None
    assert fake_clearvin.logins == 2


@pytest.mark.django_db
def test_clearvin_with_wrong_password_is_unavailable(fake_clearvin, settings):
    from django.core.cache import cache

    cache.delete(ClearVinDecoder.TOKEN_CACHE_KEY)
    settings.CLEARVIN_PASSWORD = "wrong"
    with pytest.raises(VendorUnavailable, match="refused our login"):
        ClearVinDecoder().decode("1G4AH59H45G118341")


def test_offline_decoder_knows_make_and_year_from_the_vin_itself():
    decoded = OfflineDecoder().decode("1HGCM82633A004352")
    assert decoded is not None
    assert decoded.specs["make"] == "Honda"
    assert decoded.specs["year"] == 2003
    assert decoded.warnings


@pytest.mark.django_db
def test_decode_prefers_clearvin_when_configured(fake_clearvin, fake_vpic, settings):
    settings.CLEARVIN_EMAIL, settings.CLEARVIN_PASSWORD = "api@dealer.example", "clearvin-secret"
    decoded = vin_decode(vin="1G4AH59H45G118341")
    assert decoded.source == "clearvin"
    assert fake_vpic.requests == []


@pytest.mark.django_db
def test_decode_falls_back_to_vpic_when_clearvin_fails(fake_clearvin, fake_vpic, settings):
    settings.CLEARVIN_EMAIL, settings.CLEARVIN_PASSWORD = "api@dealer.example", "clearvin-secret"
    fake_clearvin.fail_with = 500
    decoded = vin_decode(vin="1G4AH59H45G118341")
    assert decoded.source == "vpic"
    assert decoded.specs["trim"] == "CXL"


@pytest.mark.django_db
def test_decode_falls_back_to_offline_when_every_vendor_fails(fake_vpic):
    fake_vpic.fail_with = 503
    decoded = vin_decode(vin="1HGCM82633A004352")
    assert decoded.source == "offline"
    assert decoded.specs["make"] == "Honda"


@pytest.mark.django_db
def test_decode_is_cached_per_vin(fake_vpic):
    vin_decode(vin="1HGCM82633A004352")
    again = vin_decode(vin="1HGCM82633A004352")
    assert again.source == "vpic"
    assert len(fake_vpic.requests) == 1
    assert VinDecode.objects.get(vin="1HGCM82633A004352").specs["model"] == "Accord"


@pytest.mark.django_db
def test_offline_answer_is_not_cached_for_long(fake_vpic):
    fake_vpic.fail_with = 503
    vin_decode(vin="1HGCM82633A004352")
    fake_vpic.fail_with = None
    VinDecode.objects.update(decoded_at="2000-01-01T00:00:00Z")
    assert vin_decode(vin="1HGCM82633A004352").source == "vpic"


@pytest.mark.django_db
def test_decode_refuses_a_bad_check_digit_before_asking_anyone(fake_vpic):
    with pytest.raises(InvalidVin):
        vin_decode(vin="5UXWX7C5XBA000000")
    assert fake_vpic.requests == []


@pytest.mark.django_db
def test_decode_vin_api_fills_specs(api_client, fake_vpic):
    response = api_client.post("/api/vehicles/decode-vin", {"vin": "1hgcm82633a004352"}, format="json")
    assert response.status_code == 200
    body = response.json()["data"]
    assert body["vin"] == "1HGCM82633A004352"
    assert body["source"] == "vpic"
    assert body["specs"]["make"] == "Honda"


@pytest.mark.django_db
def test_decode_vin_api_rejects_a_bad_vin_with_the_error_shape(api_client):
    response = api_client.post("/api/vehicles/decode-vin", {"vin": "5UXWX7C5XBA000000"}, format="json")
    assert response.status_code == 400
    assert "check digit" in response.json()["error"]
    assert "vin" in response.json()["details"]
