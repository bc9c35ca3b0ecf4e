import pytest

from core.geo import bounding_box, miles_between, zip_point


def test_a_real_zip_has_its_city_state_and_point():
    point = zip_point("55401")
    assert point is not None
    assert (point.city, point.state) == ("Minneapolis", "MN")
    assert 44.9 < point.latitude < 45.1
    assert zip_point("55401-1234") == point


@pytest.mark.parametrize("raw", ["99999", "00000", "5540", "554011", "５５４０１", "", None, "abcde"])
def test_a_zip_that_is_malformed_or_does_not_exist_has_no_point(raw):
    assert zip_point(raw) is None


def test_minneapolis_to_chicago_is_about_355_miles_as_the_crow_flies():
    minneapolis, chicago = zip_point("55401"), zip_point("60601")
    assert minneapolis
    assert chicago
    assert 345 < miles_between(minneapolis, chicago) < 365
    assert miles_between(minneapolis, minneapolis) == 0


def test_the_bounding_box_contains_every_point_within_the_radius():
    center = zip_point("55401")
    st_paul = zip_point("55101")
    assert center
    assert st_paul
    lat_min, lat_max, lon_min, lon_max = bounding_box(center, 20)
    assert lat_min < st_paul.latitude < lat_max
    assert lon_min < st_paul.longitude < lon_max
