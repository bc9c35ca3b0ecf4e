"""Inventory benchmark: 100,000 generated vehicles in MariaDB (a dedicated `auction_bench` database).

Measures, in-process through Django's test client (no network between client and view, so the numbers are
view + ORM + MariaDB time): p50/p95 of `GET /api/vehicles` and of the inventory page for realistic
filter + sort combinations; SQL queries per page at two page sizes (must be equal); and the CSV import
rate for 10,000 rows without network decoding.

    .venv/bin/python -m tests.load.bench_inventory          # prints the markdown section
    from tests.load.bench_inventory import run; run()       # same, for tests/load/run_all.py

`run()` starts this module in a child process whose DATABASE_URL names the bench database (same server
and credentials as $DATABASE_URL, database `auction_bench`), so it does not depend on how the caller
configured Django. The 100,000 rows are created once and reused by later runs.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
TOTAL = int(os.environ.get("BENCH_VEHICLES", "100000"))
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
BENCH_SELLER = "bench-seller@bench.test"
IMPORT_SELLER = "bench-import@bench.test"

COMBOS: list[tuple[str, str]] = [
    ("everything, ending soonest (default)", ""),
    ("make, price low→high", "make=Toyota&sort=price_asc"),
    ("make + model + year from, newest", "make=Honda&model=Civic&year_min=2015&sort=newest"),
    ("body type + max price, lowest mileage", "body_type=suv&price_max=25000&sort=mileage"),
    ("text search, price high→low", "q=accord&sort=price_desc"),
    ("state + no reserve, ending soonest", "state=MN&no_reserve=true"),
    ("fuel + year from, newest year", "fuel_type=electric&year_min=2019&sort=year_desc"),
    ("ending within 24 h", "ending_24h=true"),
    ("price range + max mileage, price low→high", "price_min=10000&price_max=20000&mileage_max=60000&sort=price_asc"),
    ("buy now available, newest", "buy_now=true&sort=newest"),
    ("make + description word", "make=Ford&q=leather"),
    ("page 200 of everything", "page=200"),
]

MAKES = {
    "Toyota": ["Camry", "Corolla", "RAV4", "Tacoma", "Prius", "Highlander"],
    "Honda": ["Civic", "Accord", "CR-V", "Pilot", "Odyssey"],
    "Ford": ["F-150", "Escape", "Explorer", "Mustang", "Fusion"],
    "Chevrolet": ["Silverado 1500", "Malibu", "Equinox", "Tahoe", "Bolt EV"],
    "Nissan": ["Altima", "Rogue", "Sentra", "Leaf"],
    "Jeep": ["Wrangler", "Grand Cherokee", "Cherokee"],
    "Subaru": ["Outback", "Forester", "Crosstrek"],
    "BMW": ["3 Series", "X3", "X5"],
    "Tesla": ["Model 3", "Model Y", "Model S"],
    "Hyundai": ["Elantra", "Tucson", "Santa Fe"],
    "Kia": ["Soul", "Sorento", "Telluride"],
    "Ram": ["1500", "2500"],
    "GMC": ["Sierra 1500", "Acadia"],
    "Mazda": ["Mazda3", "CX-5"],
    "Volkswagen": ["Jetta", "Tiguan", "Golf"],
}
BODY = {"F-150": "pickup", "Silverado 1500": "pickup", "Tacoma": "pickup", "1500": "pickup", "2500": "pickup",
        "Sierra 1500": "pickup", "Odyssey": "van", "Mustang": "coupe", "Golf": "hatchback", "Soul": "hatchback"}  # fmt: skip
SUVS = {"RAV4", "Highlander", "CR-V", "Pilot", "Escape", "Explorer", "Equinox", "Tahoe", "Rogue", "Wrangler",
        "Grand Cherokee", "Cherokee", "Forester", "Crosstrek", "X3", "X5", "Model Y", "Tucson", "Santa Fe",
        "Sorento", "Telluride", "Acadia", "CX-5", "Tiguan"}  # fmt: skip
ELECTRIC = {"Model 3", "Model Y", "Model S", "Bolt EV", "Leaf"}
STATES = ["MN", "WI", "IA", "ND", "SD", "IL", "MI", "OH", "TX", "CA", "FL", "NY", "CO", "AZ", "WA"]
WORDS = ["leather seats", "sunroof", "one owner", "garage kept", "new tires", "tow package", "navigation",
         "heated seats", "backup camera", "service records", "minor scratches", "clean interior"]  # fmt: skip


def bench_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "mysql://root:@127.0.0.1:3306/auction")
    parts = urlsplit(base)
    return urlunsplit(
        (parts.scheme, parts.netloc, "/" + os.environ.get("BENCH_DATABASE_NAME", "auction_bench"), "", "")
    )


def run() -> str:
    """Run the benchmark in a child process on the bench database; return the markdown section."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": bench_database_url(),
        "TEST_ISOLATION": "bench-inventory",
        "VPIC_ENABLED": "false",
        "CLEARVIN_EMAIL": "",
        "OPENAI_API_KEY": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "LOG_LEVEL": "ERROR",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "tests.load.bench_inventory", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if completed.returncode != 0:
        return f"## Inventory\n\nThe inventory benchmark failed:\n\n```\n{completed.stderr[-3000:]}\n```\n"
    return markdown(json.loads(completed.stdout.strip().splitlines()[-1]))


def markdown(data: dict[str, Any]) -> str:
    lines = [
        "## Inventory (vehicles)",
        "",
        f"{data['vehicles']:,} generated vehicles in MariaDB ({data['in_inventory']:,} visible in the inventory), "
        f"{data['repeat']} timed requests per row after 3 warm-up requests, in-process Django test client "
        "(view + ORM + MariaDB; no HTTP hop). Page size 24. Command: "
        "`.venv/bin/python -m tests.load.bench_inventory` (database `auction_bench`, created and filled on first run).",
        "",
        "| query | results | API first ms (count not cached) | API p50 ms | API p95 ms | page p50 ms | page p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in data["combos"]:
        lines.append(
            f"| {row['name']} (`{row['query'] or '—'}`) | {row['count']:,} | {row['api_first']:.1f} | {row['api_p50']:.1f} | "
            f"{row['api_p95']:.1f} | {row['page_p50']:.1f} | {row['page_p95']:.1f} |"
        )
    api_p95 = max(row["api_p95"] for row in data["combos"])
    queries = data["queries"]
    lines += [
        "",
        f"Worst API p95: **{api_p95:.1f} ms** (target ≤ 50 ms). Counts of 1,000 matches or more are cached for "
        "30 s per query (`core/paginator.py`): the timed requests reuse the count; the first request of each "
        f"row counted the matches itself (worst {max(row['api_first'] for row in data['combos']):.1f} ms).",
        "",
        f"SQL queries per request: API {queries['api_small']} at page_size=12 and {queries['api_large']} at "
        f"page_size=96; inventory page {queries['page_small']} at 24 and {queries['page_large']} at 96 "
        "(count + page; the make/model lists are cached). They do not grow with the page size.",
        "",
        f"CSV import, {data['import']['rows']:,} rows, no network decoding: first run "
        f"**{data['import']['first_rate']:.0f} vehicles/s** ({data['import']['first_seconds']:.1f} s, target ≥ 500/s); "
        f"re-run of the same file (all unchanged, upsert by VIN) {data['import']['rerun_rate']:.0f} rows/s.",
        "",
    ]
    return "\n".join(lines)


# --- the child process ---------------------------------------------------------------------------------


def _ensure_database() -> None:
    import MySQLdb
    from django.conf import settings

    db = settings.DATABASES["default"]
    connection = MySQLdb.connect(
        host=db["HOST"] or "127.0.0.1", port=int(db["PORT"] or 3306), user=db["USER"], passwd=db["PASSWORD"]
    )
    connection.cursor().execute(
        f"CREATE DATABASE IF NOT EXISTS `{db['NAME']}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )
    connection.close()


def _seller(email: str) -> Any:
    from accounts.models import User

    user, _ = User.objects.get_or_create(email=email, defaults={"role": User.Role.SELLER, "first_name": "Bench"})
    return user


def _fill(total: int) -> None:
    from django.utils import timezone

    from vehicles.models import Vehicle
    from vehicles.vin import with_check_digit

    seller = _seller(BENCH_SELLER)
    have = Vehicle.objects.filter(seller=seller).count()
    if have >= total:
        return
    rng = random.Random(42 + have)
    now = timezone.now()
    makes = list(MAKES)
    batch: list[Vehicle] = []
    for n in range(have, total):
        make = rng.choice(makes)
        model = rng.choice(MAKES[make])
        year = rng.randint(2005, 2025)
        mileage = max(5, int(rng.gauss(90_000, 45_000)))
        start = Decimal(max(800, int(rng.lognormvariate(9.6, 0.6)) // 100 * 100))
        roll = rng.random()
        status = "approved" if roll < 0.80 else "listed" if roll < 0.92 else "draft" if roll < 0.97 else "sold"
        auction = status == "listed"
        ends = now + (rng.random() * 7 - 0.2) * timedelta(days=1) if auction else None
        current = (start * Decimal(1 + rng.random())).quantize(Decimal("1")) if auction and rng.random() < 0.7 else None
        words = rng.sample(WORDS, 3)
        batch.append(
            Vehicle(
                seller=seller,
                vin=with_check_digit(f"5BENCH{n:011d}"[:8] + "0" + "L" + f"{n:07d}"),
                year=year,
                make=make,
                model=model,
                trim=rng.choice(["", "LX", "EX", "Sport", "Limited", "SE"]),
                body_type=BODY.get(model, "suv" if model in SUVS else "sedan"),
                fuel_type="electric" if model in ELECTRIC else rng.choice(["gasoline"] * 8 + ["hybrid", "diesel"]),
                transmission=rng.choice(["automatic"] * 6 + ["manual", "cvt"]),
                drivetrain=rng.choice(["fwd", "rwd", "awd", "4wd"]),
                mileage=mileage,
                exterior_color=rng.choice(["Black", "White", "Silver", "Blue", "Red", "Gray"]),
                condition_grade=rng.choice(["excellent", "good", "fair"]),
                title_type=rng.choice(["clean"] * 18 + ["salvage", "rebuilt"]),
                title_state=rng.choice(STATES),
                description=f"{year} {make} {model} with {', '.join(words)}. Runs and drives well.",
                city="Minneapolis",
                state=rng.choice(STATES),
                postal_code="55401",
                starting_price=start,
                reserve_price=start * 2 if rng.random() < 0.5 else None,
                buy_now_price=start * 3 if rng.random() < 0.2 else None,
                status=status,
                approved_at=now - timedelta(minutes=n) if status != "draft" else None,
                auction_status=("live" if ends and ends > now else "scheduled") if auction else "",
                auction_ends_at=ends,
                current_price=current,
                bid_count=rng.randint(1, 30) if current else 0,
            )  # fmt: skip
        )
        if len(batch) == 5000:
            Vehicle.objects.bulk_create(batch)
            batch = []
    if batch:
        Vehicle.objects.bulk_create(batch)


def _timed(client: Any, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    return elapsed


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]


def _measure(client: Any, url: str) -> tuple[float, float]:
    for _ in range(3):
        _timed(client, url)
    samples = [_timed(client, url) for _ in range(REPEAT)]
    return statistics.median(samples), _p95(samples)


def _queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


def _import_rate() -> dict[str, float]:
    from django.core.management import call_command

    from vehicles.models import Vehicle
    from vehicles.vin import with_check_digit

    seller = _seller(IMPORT_SELLER)
    Vehicle.objects.filter(seller=seller).delete()
    rng = random.Random(7)
    header = ["vin", "year", "make", "model", "trim", "body_type", "mileage", "exterior_color", "condition_grade",
              "title_type", "features", "description", "city", "state", "postal_code", "starting_price",
              "reserve_price", "buy_now_price"]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for n in range(IMPORT_ROWS):
                make = rng.choice(list(MAKES))
                start = rng.randrange(2000, 40000, 100)
                writer.writerow(
                    [with_check_digit(f"3IMPRT{n:011d}"[:8].replace("I", "J") + "0M" + f"{n:07d}"), rng.randint(2008, 2024),
                     make, rng.choice(MAKES[make]), "SE", "sedan", rng.randint(1000, 200000), "Blue", "good", "clean",
                     "Sunroof;Heated seats", "Imported for the benchmark.", "Duluth", "MN", "55802", start,
                     start + 1000, ""]
                )  # fmt: skip
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            call_command("import_vehicles", str(path), "--seller", seller.email, "--no-progress", stdout=io.StringIO())
            timings.append(time.perf_counter() - started)
    imported = Vehicle.objects.filter(seller=seller).count()
    Vehicle.objects.filter(seller=seller).delete()
    if imported != IMPORT_ROWS:
        raise RuntimeError(f"import created {imported} vehicles, expected {IMPORT_ROWS}")
    return {
        "rows": IMPORT_ROWS,
        "first_seconds": timings[0],
        "first_rate": IMPORT_ROWS / timings[0],
        "rerun_rate": IMPORT_ROWS / timings[1],
    }


def child_main() -> dict[str, Any]:
    import django

    django.setup()
    _ensure_database()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    from vehicles.models import Vehicle

    call_command("migrate", verbosity=0, interactive=False)
    _fill(TOTAL)
    cache.clear()
    client = Client()
    combos = []
    for name, query in COMBOS:
        api_url = "/api/vehicles?" + query
        page_url = "/vehicles/?" + query
        cache.clear()  # the first request counts the matches (core/paginator.py caches large counts 30 s)
        started = time.perf_counter()
        first = client.get(api_url)
        api_first = (time.perf_counter() - started) * 1000
        if first.status_code == 404:  # e.g. a deep page on a small BENCH_VEHICLES run
            continue
        count = first.json()["count"]
        api_p50, api_p95 = _measure(client, api_url)
        page_p50, page_p95 = _measure(client, page_url)
        combos.append(
            {
                "name": name,
                "query": query,
                "count": count,
                "api_first": api_first,
                "api_p50": api_p50,
                "api_p95": api_p95,
                "page_p50": page_p50,
                "page_p95": page_p95,
            }  # fmt: skip
        )
    query = "make=Honda&sort=price_asc"
    queries = {
        "api_small": _queries(client, f"/api/vehicles?{query}&page_size=12"),
        "api_large": _queries(client, f"/api/vehicles?{query}&page_size=96"),
        "page_small": _queries(client, f"/vehicles/?{query}&page_size=24"),
        "page_large": _queries(client, f"/vehicles/?{query}&page_size=96"),
    }
    return {
        "vehicles": Vehicle.objects.count(),
        "in_inventory": Vehicle.objects.in_inventory().count(),
        "repeat": REPEAT,
        "combos": combos,
        "queries": queries,
        "import": _import_rate(),
    }


if __name__ == "__main__":
    if "--json" in sys.argv:
        print(json.dumps(child_main()))
    else:
        print(run())
