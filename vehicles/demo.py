"""Demo vehicles for `make run`: ~24 approved vehicles of seller@demo.test with generated photos, plus a
draft and one pending review so the seller dashboard has something in every tab.

auctions/demo.py schedules auctions for some of the approved ones (they are returned, newest first)."""

import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from vehicles.images import gradient_photo
from vehicles.models import Vehicle, VehicleEvent
from vehicles.services.lifecycle import vehicle_create
from vehicles.services.media import attach_photo_bytes
from vehicles.vin import with_check_digit

SELLER_EMAIL = "seller@demo.test"
# (WMI + VDS prefix, year code, make, model, trim, body, engine, transmission, drivetrain, fuel, base price)
MODELS = [
    ("1HGCV1F3", "J", "Honda", "Accord", "EX-L", "sedan", "1.5L 4-cylinder turbo", "cvt", "fwd", "gasoline", 14500),
    ("2HGFC2F6", "K", "Honda", "Civic", "Sport", "sedan", "2.0L 4-cylinder", "cvt", "fwd", "gasoline", 13200),
    ("5J6RW2H8", "L", "Honda", "CR-V", "Touring", "suv", "1.5L 4-cylinder turbo", "cvt", "awd", "gasoline", 21800),
    ("4T1B11HK", "K", "Toyota", "Camry", "SE", "sedan", "2.5L 4-cylinder", "automatic", "fwd", "gasoline", 16900),
    ("JTDKARFU", "K", "Toyota", "Prius", "LE", "hatchback", "1.8L 4-cylinder hybrid", "cvt", "fwd", "hybrid", 15400),
    ("5TFDY5F1", "J", "Toyota", "Tundra", "SR5 CrewMax", "pickup", "5.7L V8", "automatic", "4wd", "gasoline", 29500),
    (
        "1FTEW1EP",
        "K",
        "Ford",
        "F-150",
        "XLT SuperCrew",
        "pickup",
        "2.7L V6 EcoBoost",
        "automatic",
        "4wd",
        "gasoline",
        24800,
    ),
    ("1FMCU9GD", "L", "Ford", "Escape", "SE", "suv", "1.5L 3-cylinder turbo", "automatic", "awd", "gasoline", 12900),
    ("1FA6P8CF", "H", "Ford", "Mustang", "GT Premium", "coupe", "5.0L V8", "manual", "rwd", "gasoline", 26700),
    ("1G1ZD5ST", "K", "Chevrolet", "Malibu", "LT", "sedan", "1.5L 4-cylinder turbo", "cvt", "fwd", "gasoline", 11200),
    (
        "1GCUYDED",
        "L",
        "Chevrolet",
        "Silverado 1500",
        "LT Trail Boss",
        "pickup",
        "5.3L V8",
        "automatic",
        "4wd",
        "gasoline",
        33500,
    ),
    (
        "3GNAXUEV",
        "M",
        "Chevrolet",
        "Equinox",
        "LT",
        "suv",
        "1.5L 4-cylinder turbo",
        "automatic",
        "awd",
        "gasoline",
        15800,
    ),
    ("5YJ3E1EA", "K", "Tesla", "Model 3", "Long Range", "sedan", "Dual motor", "automatic", "awd", "electric", 23900),
    ("5YJYGDEE", "L", "Tesla", "Model Y", "Long Range", "suv", "Dual motor", "automatic", "awd", "electric", 29900),
    (
        "WBA8E9G5",
        "G",
        "BMW",
        "3 Series",
        "328i",
        "sedan",
        "2.0L 4-cylinder turbo",
        "automatic",
        "rwd",
        "gasoline",
        12400,
    ),
    ("5UXCR6C5", "L", "BMW", "X5", "xDrive40i", "suv", "3.0L 6-cylinder turbo", "automatic", "awd", "gasoline", 38900),
    ("1C4RJFBG", "G", "Jeep", "Grand Cherokee", "Limited", "suv", "3.6L V6", "automatic", "4wd", "gasoline", 16800),
    ("1C4HJXDG", "K", "Jeep", "Wrangler", "Sport", "convertible", "3.6L V6", "manual", "4wd", "gasoline", 24500),
    ("2T3P1RFV", "M", "Toyota", "RAV4", "XLE", "suv", "2.5L 4-cylinder", "automatic", "awd", "gasoline", 22900),
    ("1N4BL4BV", "L", "Nissan", "Altima", "2.5 S", "sedan", "2.5L 4-cylinder", "cvt", "fwd", "gasoline", 11900),
    ("JF2SKAJC", "L", "Subaru", "Forester", "Premium", "wagon", "2.5L 4-cylinder", "cvt", "awd", "gasoline", 17400),
    ("2C4RC1BG", "K", "Chrysler", "Pacifica", "Touring L", "van", "3.6L V6", "automatic", "fwd", "gasoline", 18600),
    ("KM8J3CA4", "J", "Hyundai", "Tucson", "SEL", "suv", "2.4L 4-cylinder", "automatic", "fwd", "gasoline", 12300),
    (
        "1VWSA7A3",
        "H",
        "Volkswagen",
        "Passat",
        "SE",
        "sedan",
        "1.8L 4-cylinder turbo",
        "automatic",
        "fwd",
        "gasoline",
        9800,
    ),
    (
        "3MZBPAAL",
        "L",
        "Mazda",
        "Mazda3",
        "Select",
        "hatchback",
        "2.5L 4-cylinder",
        "automatic",
        "fwd",
        "gasoline",
        14100,
    ),
    ("1GYS4CKJ", "K", "Cadillac", "Escalade", "Luxury", "suv", "6.2L V8", "automatic", "4wd", "gasoline", 44900),
]
YEARS = {"G": 2016, "H": 2017, "J": 2018, "K": 2019, "L": 2020, "M": 2021}
COLOURS = [
    ("Silver", (150, 155, 165), (60, 65, 75)),
    ("Black", (40, 40, 48), (110, 110, 120)),
    ("Pearl White", (235, 235, 240), (150, 160, 175)),
    ("Deep Blue", (20, 50, 120), (120, 160, 220)),
    ("Ruby Red", (130, 20, 30), (220, 110, 90)),
    ("Forest Green", (25, 80, 50), (140, 190, 140)),
]
PLACES = [
    ("Minneapolis", "MN", "55401"), ("St. Paul", "MN", "55102"), ("Duluth", "MN", "55802"), ("Rochester", "MN", "55901"),
    ("Fargo", "ND", "58102"), ("Sioux Falls", "SD", "57104"), ("Eau Claire", "WI", "54701"), ("Madison", "WI", "53703"),
    ("Des Moines", "IA", "50309"), ("Chicago", "IL", "60601"),
]  # fmt: skip
FEATURES = ["Backup camera", "Heated seats", "Apple CarPlay", "Android Auto", "Sunroof", "Leather seats",
            "Remote start", "Blind-spot monitoring", "Adaptive cruise control", "Tow package", "Navigation"]  # fmt: skip
NOTES = [
    "Light swirl marks in the paint; tires at about 7/32.",
    "Small door ding on the passenger side; interior very clean.",
    "Windshield has a small chip outside the driver's view. Recent oil change.",
    "Rear bumper scuffed; new brakes at 52,000 miles.",
    "No known mechanical issues; two keys included.",
]


TITLES = {0: "rebuilt", 5: "salvage", 9: "flood", 18: "rebuilt"}
DAMAGE = [
    [],
    [{"panel": "rear_bumper", "type": "scratch", "severity": "minor"}],
    [{"panel": "hood", "type": "hail", "severity": "moderate"}, {"panel": "roof", "type": "hail", "severity": "minor"}],
    [],
    [{"panel": "right_front_door", "type": "dent", "severity": "minor"}],
    [{"panel": "front_bumper", "type": "crack", "severity": "severe"}, {"panel": "hood", "type": "dent", "severity": "moderate"}],
]  # fmt: skip


def _condition(index: int) -> dict[str, Any]:
    """A varied condition report: most run and drive with two keys; some need a jump, one has no keys."""
    return {
        "starts": "with_assistance" if index % 7 == 4 else "yes",
        "drives": "no" if index % 7 == 4 or index == 5 else "yes",
        "keys_count": 0 if index % 8 == 5 else (1 if index % 3 == 1 else 2),
        "odometer_brand": "not_actual" if index == 11 else "actual",
        "airbags_deployed": "yes" if index == 5 else "no",
        "damage": DAMAGE[index % len(DAMAGE)],
        "announcements": "Frame damage reported by the previous owner." if index == 5 else "",
    }


# Sold before: vehicles whose past auctions fill the Results page and "similar vehicles sold" (auctions/demo.py
# gives them ended auctions). Same makes and models as the live demo, other years and miles.
HISTORY = [
    ("1HGCV1F3", "K", "Honda", "Accord", "Sport", 41000, 16900, True),
    ("1HGCV1F3", "H", "Honda", "Accord", "LX", 88000, 11800, True),
    ("2HGFC2F6", "L", "Honda", "Civic", "EX", 36000, 15200, True),
    ("2HGFC2F6", "H", "Honda", "Civic", "LX", 97000, 8900, False),
    ("4T1B11HK", "L", "Toyota", "Camry", "LE", 52000, 17400, True),
    ("1FTEW1EP", "J", "Ford", "F-150", "XL", 110000, 19900, True),
    ("5YJ3E1EA", "L", "Tesla", "Model 3", "Standard Range Plus", 30500, 24800, True),
    ("5J6RW2H8", "K", "Honda", "CR-V", "EX", 61000, 18200, False),
]


def history_vehicles(seller: User, actor: Any) -> list[tuple[Vehicle, Decimal, bool]]:
    """Demo only: approved vehicles with photos for the demo's past auctions; (vehicle, price, sold)."""
    rng = random.Random(1121)
    made = []
    for index, (prefix, year_code, make, model, trim, mileage, price, sold) in enumerate(HISTORY):
        vin = with_check_digit(f"{prefix}0{year_code}B{200000 + index * 6151:06d}"[:17])
        if Vehicle.objects.filter(vin=vin).exists():
            continue
        city, state, zip_code = PLACES[(index + 3) % len(PLACES)]
        vehicle = vehicle_create(
            seller=seller,
            data={
                "vin": vin, "year": YEARS[year_code], "make": make, "model": model, "trim": trim,
                "mileage": mileage, "condition_grade": "good", "title_type": "clean" if index != 3 else "rebuilt",
                "title_state": state, "description": f"{YEARS[year_code]} {make} {model} {trim}, {mileage:,} miles.",
                "city": city, "state": state, "postal_code": zip_code, "starting_price": str(price // 2),
                **_condition(index + 1),
            },
        )  # fmt: skip
        top, bottom = COLOURS[index % len(COLOURS)][1:]
        image = gradient_photo(f"{YEARS[year_code]} {make} {model}", size=(800, 600), top=top, bottom=bottom)
        attach_photo_bytes(vehicle=vehicle, data=image, original_name=f"{vin}_1.jpg")
        _set_status(vehicle, Vehicle.Status.APPROVED, actor=actor)
        made.append((vehicle, Decimal(price + rng.randrange(0, 900, 50)), sold))
    return made


def seed_saved_searches(stdout: Any) -> None:
    """buyer@demo.test keeps two saved searches; the approved demo vehicles that match are alerted."""
    from vehicles.services.saved_searches import (
        criteria_from_params,
        saved_search_create,
        saved_search_match_vehicle,
    )

    buyer = User.objects.filter(email="buyer@demo.test").first()
    if buyer is None:
        return
    for name, query, frequency in (
        ("Hondas under $20,000", "make=Honda&price_max=20000&runs_drives=true", "instant"),
        ("SUVs near Minneapolis", "body_type=suv&distance=250&zip=55401&sort=distance", "daily"),
    ):
        if not buyer.saved_searches.filter(name=name).exists():
            saved_search_create(user=buyer, name=name, criteria=criteria_from_params(query), frequency=frequency)
    for vehicle_id in Vehicle.objects.filter(in_inventory=True).values_list("pk", flat=True):
        saved_search_match_vehicle(vehicle_id=vehicle_id)
    stdout.write("  2 saved searches for buyer@demo.test, with alerts for the matching vehicles")


def seed(stdout: Any) -> list[Vehicle]:
    seller = User.objects.filter(email=SELLER_EMAIL).first()
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    if seller is None:
        stdout.write("  vehicles: no seller@demo.test, skipped")
        return []
    rng = random.Random(20261121)  # the same demo every time
    created: list[Vehicle] = []
    for index, (prefix, year_code, make, model, trim, body, engine, gearbox, drive, fuel, base) in enumerate(MODELS):
        vin = with_check_digit(f"{prefix}0{year_code}A{100000 + index * 7919:06d}"[:17])
        if Vehicle.objects.filter(vin=vin).exists():
            continue
        colour, top, bottom = COLOURS[index % len(COLOURS)]
        city, state, zip_code = PLACES[index % len(PLACES)]
        mileage = rng.randrange(8_000, 140_000, 250)
        start = Decimal(max(1000, base - mileage // 20)).quantize(Decimal("100"))
        has_reserve = index % 3 != 0
        vehicle = vehicle_create(
            seller=seller,
            data={
                "vin": vin, "year": YEARS[year_code], "make": make, "model": model, "trim": trim, "body_type": body,
                "engine": engine, "transmission": gearbox, "drivetrain": drive, "fuel_type": fuel, "mileage": mileage,
                "exterior_color": colour, "interior_color": rng.choice(["Black", "Gray", "Tan", "Beige"]),
                "condition_grade": rng.choice(["excellent", "good", "good", "fair"]),
                "condition_notes": rng.choice(NOTES), "title_type": TITLES.get(index, "clean"),
                **_condition(index),
                "title_state": state, "features": rng.sample(FEATURES, 4),
                "description": f"{YEARS[year_code]} {make} {model} {trim} in {colour}, {mileage:,} miles. "
                f"{engine}, {gearbox}, {drive.upper()}. Serviced regularly; clean interior; ready to drive home.",
                "city": city, "state": state, "postal_code": zip_code, "starting_price": str(start),
                "reserve_price": str((start * Decimal("1.2")).quantize(Decimal("100"))) if has_reserve else "",
                "buy_now_price": str((start * Decimal("1.6")).quantize(Decimal("100"))) if index % 4 == 1 else "",
                "accepts_offers": index % 2 == 0,
            },
        )  # fmt: skip
        for shot, label in enumerate(("front three-quarter", "interior")):
            colours = (top, bottom) if shot == 0 else ((45, 45, 50), (120, 110, 100))
            text = f"{YEARS[year_code]} {make} {model} · {label}"
            image = gradient_photo(text, size=(800, 600), top=colours[0], bottom=colours[1])
            attach_photo_bytes(vehicle=vehicle, data=image, original_name=f"{vin}_{shot + 1}.jpg")
        target = _demo_status(index)
        _set_status(vehicle, target, actor=staff or seller)
        created.append(vehicle)
    stdout.write(f"  {len(created)} demo vehicles with photos, condition reports and a few branded titles")
    seed_saved_searches(stdout)
    return [v for v in created if v.status == Vehicle.Status.APPROVED]


def _demo_status(index: int) -> str:
    if index == len(MODELS) - 1:
        return Vehicle.Status.DRAFT
    if index == len(MODELS) - 2:
        return Vehicle.Status.PENDING_REVIEW
    return Vehicle.Status.APPROVED


def _set_status(vehicle: Vehicle, status: str, *, actor: Any) -> None:
    """Demo data only: move straight to the target status, with the event rows a real review writes."""
    if status == Vehicle.Status.DRAFT:
        return
    now = timezone.now()
    with transaction.atomic():
        steps = [Vehicle.Status.PENDING_REVIEW] + (
            [Vehicle.Status.APPROVED] if status == Vehicle.Status.APPROVED else []
        )
        previous = vehicle.status
        for step in steps:
            VehicleEvent.objects.create(
                vehicle=vehicle, actor=actor, from_status=previous, to_status=step, message="Demo data"
            )
            previous = step
        vehicle.status = status
        vehicle.submitted_at = now
        vehicle.approved_at = now if status == Vehicle.Status.APPROVED else None
        vehicle.save(update_fields=["status", "submitted_at", "approved_at", "updated_at"])
