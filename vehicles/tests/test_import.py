"""manage.py import_vehicles: validation first, upsert by VIN, decoding, photos by VIN, error report."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.fixtures.vehicles import valid_vin
from vehicles.models import Vehicle, VehicleEvent, VehiclePhoto

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
HEADER = ["vin", "year", "make", "model", "mileage", "starting_price", "reserve_price", "features", "state"]


def write_csv(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(path: Path, seller, *extra: str) -> str:
    out = io.StringIO()
    call_command(
        "import_vehicles",
        str(path),
        "--seller",
        seller.email,
        "--no-progress",
        *extra,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def good_rows(n: int = 3) -> list[list[object]]:
    return [
        [valid_vin(500 + i), 2019, "Honda", "Civic", 30000 + i, "9000", "", "Sunroof;Heated seats", "MN"]
        for i in range(n)
    ]


def test_import_creates_drafts_with_events(tmp_path, seller_factory):
    seller = seller_factory()
    output = run(write_csv(tmp_path / "cars.csv", good_rows()), seller)
    assert "3 created" in output
    vehicles = Vehicle.objects.filter(seller=seller)
    assert vehicles.count() == 3
    assert set(vehicles.values_list("status", flat=True)) == {"draft"}
    assert vehicles.first().features == ["Sunroof", "Heated seats"]
    assert VehicleEvent.objects.filter(vehicle__seller=seller, message="Imported from CSV").count() == 3


def test_rerun_does_not_duplicate_and_updates_changed_rows(tmp_path, seller_factory):
    seller = seller_factory()
    path = write_csv(tmp_path / "cars.csv", good_rows())
    run(path, seller)
    assert "3 unchanged" in run(path, seller)
    rows = good_rows()
    rows[0][4] = 99999
    output = run(write_csv(path, rows), seller)
    assert "1 updated" in output
    assert "2 unchanged" in output
    assert Vehicle.objects.filter(seller=seller).count() == 3
    assert Vehicle.objects.get(vin=rows[0][0]).mileage == 99999


def test_bad_rows_are_reported_and_never_half_imported(tmp_path, seller_factory):
    seller = seller_factory()
    rows = good_rows(2) + [
        ["5UXWX7C5XBA000000", 2019, "BMW", "X5", 1000, "9000", "", "", "MN"],  # check digit
        [valid_vin(600), 2019, "Honda", "Civic", "", "9000", "", "", "MN"],  # mileage missing
        [valid_vin(601), 2019, "Honda", "Civic", "many", "9000", "", "", "MN"],  # mileage not a number
        [valid_vin(602), 2019, "Honda", "Civic", 1000, "9000", "8000", "", "MN"],  # reserve below start
        [valid_vin(500), 2019, "Honda", "Civic", 1000, "9000", "", "", "MN"],  # duplicate VIN in the file
    ]
    path = write_csv(tmp_path / "cars.csv", rows)
    output = run(path, seller)
    assert "2 created" in output
    assert "5 error" in output
    report = list(csv.DictReader((tmp_path / "cars.errors.csv").open()))
    assert [row["line"] for row in report] == ["4", "5", "6", "7", "8"]
    assert "check digit" in report[0]["error"]
    assert report[1]["error"] == "mileage: is required"
    assert "whole number" in report[2]["error"]
    assert "reserve_price" in report[3]["error"]
    assert "appears twice" in report[4]["error"]
    assert Vehicle.objects.count() == 2


def test_dry_run_writes_nothing(tmp_path, seller_factory):
    seller = seller_factory()
    output = run(write_csv(tmp_path / "cars.csv", good_rows()), seller, "--dry-run")
    assert "Would import 3 rows" in output
    assert "3 created" in output
    assert not Vehicle.objects.exists()


def test_photos_named_by_vin_are_attached_in_order_once(tmp_path, seller_factory, photo_bytes):
    seller = seller_factory()
    rows = good_rows(1)
    vin = rows[0][0]
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / f"{vin}.jpg").write_bytes(photo_bytes("front"))
    (photos / f"{vin}_2.png").write_bytes(photo_bytes("side", image_format="PNG"))
    (photos / "OTHERVIN.jpg").write_bytes(photo_bytes("other"))
    path = write_csv(tmp_path / "cars.csv", rows)
    run(path, seller, "--photos", str(photos))
    run(path, seller, "--photos", str(photos))  # re-run: no duplicate photos
    vehicle = Vehicle.objects.get(vin=vin)
    assert list(vehicle.photos.values_list("original_name", flat=True)) == [f"{vin}.jpg", f"{vin}_2.png"]
    assert vehicle.cover_thumbnail == vehicle.photos.first().thumbnail.name


def test_a_broken_photo_fails_its_row_only(tmp_path, seller_factory, photo_bytes):
    seller = seller_factory()
    rows = good_rows(2)
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / f"{rows[0][0]}.jpg").write_bytes(b"not a jpeg")
    output = run(write_csv(tmp_path / "cars.csv", rows), seller, "--photos", str(photos))
    assert "1 created" in output
    assert "1 error" in output
    assert not Vehicle.objects.filter(vin=rows[0][0]).exists()
    assert not VehiclePhoto.objects.exists()


def test_missing_specs_are_decoded(tmp_path, seller_factory, fake_vpic):
    seller = seller_factory()
    path = write_csv(tmp_path / "cars.csv", [["1HGCM82633A004352", "", "", "", 150000, "2500", "", "", "MN"]])
    run(path, seller)
    vehicle = Vehicle.objects.get(vin="1HGCM82633A004352")
    assert (vehicle.year, vehicle.make, vehicle.model) == (2003, "Honda", "Accord")


def test_another_sellers_vin_is_an_error(tmp_path, seller_factory, vehicle_factory):
    taken = vehicle_factory()
    output = run(
        write_csv(tmp_path / "cars.csv", [[taken.vin, 2019, "Honda", "Civic", 1, "9000", "", "", "MN"]]),
        seller_factory(),
    )
    assert "1 error" in output


def test_approved_vehicle_is_skipped_not_changed(tmp_path, vehicle_factory):
    approved = vehicle_factory(mileage=5)
    output = run(
        write_csv(tmp_path / "cars.csv", [[approved.vin, 2019, "Honda", "Civic", 999, "9000", "", "", "MN"]]),
        approved.seller,
    )
    assert "1 skipped" in output
    approved.refresh_from_db()
    assert approved.mileage == 5


def test_the_sample_csv_imports_cleanly(seller_factory, tmp_path):
    seller = seller_factory()
    sample = tmp_path / "sample.csv"
    sample.write_bytes((ROOT / "docs" / "sample_vehicles.csv").read_bytes())
    output = run(sample, seller)
    assert "5 created" in output
    jeep = Vehicle.objects.get(vin="1C4RJFBG9GC000606")
    assert jeep.make == "Jeep"
    assert jeep.year == 2016


def test_only_an_approved_seller_can_receive_an_import(tmp_path, user):
    with pytest.raises(CommandError, match="not an approved"):
        run(write_csv(tmp_path / "cars.csv", good_rows(1)), user)


def test_a_csv_without_the_required_columns_is_refused(tmp_path, seller_factory):
    with pytest.raises(CommandError, match="vin and mileage"):
        run(write_csv(tmp_path / "cars.csv", [["x"]], header=["make"]), seller_factory())
