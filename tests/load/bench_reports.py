"""Reports benchmark: the staff console's reports on 100,000 orders and 110,000 ended auctions, with the title and
vehicle tracks of every paid order and claims on 3 % of them.

Each report page (sales, fees, payments, fulfillment times, claims) is requested through Django's test client as a superuser, for each
grouping over its usual range (day: 90 days, week: a year, month: two years, seller: a year): median and worst
of REPEATS requests, view + ORM + MariaDB + template. The goal is every page under 1 s.

    .venv/bin/python -m tests.load.bench_reports        # prints the markdown section
    from tests.load.bench_reports import run; run()     # for tests/load/run_all.py

`run()` starts this module in a child process on its own database (same server as $DATABASE_URL; name from
$BENCH_REPORTS_DATABASE, default `auction_bench_reports`), so bulk rows never land in another benchmark's data.
The rows are generated once and reused by later runs.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
ORDERS = int(os.environ.get("BENCH_REPORTS_ORDERS", "100000"))
AUCTIONS = int(ORDERS * 1.1)
SELLERS, BUYERS, VEHICLES = 200, 5000, 2000
REPEATS = 5
MAKE = "BenchReports"
CASES = [("day", 90), ("week", 365), ("month", 730), ("seller", 365)]


def database_url() -> str:
    base = os.environ.get("DATABASE_URL", "mysql://root:@127.0.0.1:3306/auction")
    parts = urlsplit(base)
    name = os.environ.get("BENCH_REPORTS_DATABASE", "auction_bench_reports")
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def generate() -> None:
    """Users, vehicles, ended auctions and orders spread over the last two years (once)."""
    from django.utils import timezone

    from accounts.models import User
    from auctions.models import Auction
    from orders.models import Order
    from vehicles.models import Vehicle

    if Order.objects.filter(vehicle__make=MAKE).count() >= ORDERS:
        return
    rng = random.Random(7)
    now = timezone.now()
    password = User.objects.make_random_password() if hasattr(User.objects, "make_random_password") else "!"
    sellers = User.objects.bulk_create(
        User(email=f"bench-seller-{i}@reports.test", password=password, role="seller") for i in range(SELLERS)
    )
    buyers = User.objects.bulk_create(
        User(email=f"bench-buyer-{i}@reports.test", password=password) for i in range(BUYERS)
    )
    vehicles = Vehicle.objects.bulk_create(
        Vehicle(
            seller=sellers[i % SELLERS], vin=f"BR{i:015d}", year=2019, make=MAKE, model="Report",
            mileage=40000, status=Vehicle.Status.SOLD,
        )
        for i in range(VEHICLES)
    )  # fmt: skip
    batch: list[Any] = []
    for i in range(AUCTIONS):
        vehicle = vehicles[i % VEHICLES]
        closed = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        roll = rng.random()
        outcome, decision = ("sold", "") if roll < 0.7 else (("unsold", "declined") if roll < 0.85 else ("unsold", ""))
        batch.append(
            Auction(
                vehicle=vehicle, seller_id=vehicle.seller_id, status="ended", outcome=outcome, seller_decision=decision,
                starting_price=Decimal("5000"), starts_at=closed - timedelta(days=7), ends_at=closed,
                scheduled_ends_at=closed, closed_at=closed,
            )
        )  # fmt: skip
        if len(batch) == 5000:
            Auction.objects.bulk_create(batch)
            batch = []
    Auction.objects.bulk_create(batch)
    batch = []
    for i in range(ORDERS):
        vehicle = vehicles[i % VEHICLES]
        sold = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        price = Decimal(rng.randrange(3000, 60000))
        fee = min(max(price * Decimal("0.05"), Decimal(250)), Decimal(5000))
        seller_fee = max((price * Decimal("0.025")).quantize(Decimal("0.01")), Decimal(100))
        storage = Decimal(25 * rng.randrange(1, 6)) if rng.random() < 0.05 else Decimal(0)
        late = Decimal(50) if rng.random() < 0.1 else Decimal(0)
        total = price + fee + 99 + late
        roll = rng.random()
        status = "completed" if roll < 0.9 else ("pending_payment" if roll < 0.95 else "cancelled")
        due = sold + timedelta(days=3)
        paid = None if status != "completed" else sold + timedelta(hours=rng.randrange(1, 24 * 6))
        batch.append(
            Order(
                number=f"BR-{i:08d}", source_type="auction", source_id=10**9 + i, buyer=buyers[rng.randrange(BUYERS)],
                seller_id=vehicle.seller_id, vehicle=vehicle, status=status, vehicle_price=price, buyer_fee=fee,
                documentation_fee=Decimal(99), late_fee=late, seller_fee=seller_fee, storage_fee=storage,
                total=total + storage, amount_paid=total + storage if paid else 0,
                sold_at=sold, due_at=due, paid_at=paid,
            )
        )  # fmt: skip
        if len(batch) == 5000:
            Order.objects.bulk_create(batch)
            batch = []
    Order.objects.bulk_create(batch)


CLAIM_SHARE = 0.03


def generate_after_sale() -> None:
    """Fulfillments of the paid orders (titles issued 5–25 days after payment, vehicles delivered after 2–14) and
    claims on 3 % of them (once)."""
    from fulfillment.models import Claim, Fulfillment
    from orders.models import Order

    if Fulfillment.objects.filter(order__vehicle__make=MAKE).exists():
        return
    rng = random.Random(11)
    batch: list[Any] = []
    claims: list[Any] = []
    paid = Order.objects.filter(vehicle__make=MAKE, paid_at__isnull=False).values_list("pk", "paid_at", "buyer_id",
                                                                                        "seller_id")  # fmt: skip
    outcomes = ["denied", "denied", "partial_refund", "partial_refund", "full_refund_return", "sale_cancelled"]
    for order_id, paid_at, buyer_id, seller_id in paid.iterator(chunk_size=5000):
        transport = rng.random() < 0.4
        delivered = paid_at + timedelta(hours=rng.randrange(48, 14 * 24))
        batch.append(
            Fulfillment(
                order_id=order_id, seller_id=seller_id, title_status="delivered_to_buyer", documents_due_at=paid_at + timedelta(days=3),
                title_promised_by=paid_at + timedelta(days=21),
                title_issued_at=paid_at + timedelta(hours=rng.randrange(5 * 24, 25 * 24)),
                delivery_method="transport" if transport else "pickup",
                vehicle_status="delivered" if transport else "picked_up", pickup_code="000000",
                delivered_at=delivered, free_storage_until=paid_at + timedelta(days=7), started_at=paid_at,
                completed_at=delivered + timedelta(days=8),
            )
        )  # fmt: skip
        if rng.random() < CLAIM_SHARE:
            outcome = rng.choice(outcomes)
            claims.append(
                Claim(
                    order_id=order_id, buyer_id=buyer_id, seller_id=seller_id, category="damage", description="bench",
                    status="decided", outcome=outcome, opened_at=delivered + timedelta(hours=rng.randrange(1, 150)),
                    seller_due_at=delivered + timedelta(days=4),
                    refunded=Decimal(rng.randrange(200, 3000)) if outcome == "partial_refund" else Decimal(0),
                )
            )  # fmt: skip
        if len(batch) == 5000:
            Fulfillment.objects.bulk_create(batch)
            batch = []
    Fulfillment.objects.bulk_create(batch)
    Claim.objects.bulk_create(claims, batch_size=5000)


REPORT_NAMES = ("sales", "fees", "payments", "fulfillment", "claims")


def measure() -> dict[str, Any]:
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from orders.models import Order

    staff, _ = User.objects.get_or_create(
        email="bench-staff@reports.test", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(staff)
    today = timezone.localdate()
    client.get("/admin/console/reports/sales/")  # warm-up: templates, URL resolvers, the admin's site
    results = []
    for report in REPORT_NAMES:
        for group, days in CASES:
            query = {"group": group, "first": (today - timedelta(days=days - 1)).isoformat(), "last": today.isoformat()}
            times = []
            for _ in range(REPEATS):
                started = time.perf_counter()
                response = client.get(f"/admin/console/reports/{report}/", query)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
            results.append(
                {"report": report, "group": group, "days": days, "median": statistics.median(times), "max": max(times)}
            )
    from fulfillment.models import Claim, Fulfillment

    return {
        "orders": Order.objects.count(),
        "fulfillments": Fulfillment.objects.count(),
        "claims": Claim.objects.count(),
        "results": results,
    }


def child() -> None:
    import django

    django.setup()
    import MySQLdb
    from django.conf import settings
    from django.core.management import call_command

    db = settings.DATABASES["default"]
    conn = MySQLdb.connect(host=db["HOST"], user=db["USER"], passwd=db["PASSWORD"], port=int(db["PORT"] or 3306))
    conn.cursor().execute(
        f"CREATE DATABASE IF NOT EXISTS `{db['NAME']}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )
    conn.close()
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    generate()
    generate_after_sale()
    generated = time.perf_counter() - started
    data = measure()
    data["generate_seconds"] = generated
    print(json.dumps(data))


def run() -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "TEST_ISOLATION": "bench-reports",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "LOG_LEVEL": "ERROR",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "tests.load.bench_reports", "--child"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        return f"## Reports (staff console)\n\nThe reports benchmark failed:\n\n```\n{completed.stderr[-3000:]}\n```\n"
    return markdown(json.loads(completed.stdout.strip().splitlines()[-1]))


def markdown(data: dict[str, Any]) -> str:
    lines = [
        "## Reports (staff console)",
        "",
        f"{data['orders']:,} orders and {AUCTIONS:,} ended auctions over two years, {data.get('fulfillments', 0):,} "
        f"fulfillments and {data.get('claims', 0):,} claims (generated once, "
        f"{data['generate_seconds']:.0f} s this run). Each report page requested {REPEATS} times through Django's "
        "test client as a superuser (view, queries and template). Goal: under 1 s.",
        "",
        "| report | grouped by | range | median | worst |",
        "|---|---|---|---|---|",
    ]
    for row in data["results"]:
        lines.append(
            f"| {row['report']} | {row['group']} | {row['days']} days | {row['median'] * 1000:.0f} ms | "
            f"{row['max'] * 1000:.0f} ms |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        print(run())
