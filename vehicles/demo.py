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
    "Light swirl marks in the paint; tyres at about 7/32.",
    "Small door ding on the passenger side; interior very clean.",
    "Windshield has a small chip outside the driver's view. Recent oil change.",
    "Rear bumper scuffed; new brakes at 52,000 miles.",
    "No known mechanical issues; two keys included.",
]


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
                "condition_notes": rng.choice(NOTES), "title_type": "clean" if index % 9 else "rebuilt",
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
    stdout.write(f"  {len(created)} demo vehicles with photos")
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
