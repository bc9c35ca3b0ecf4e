"""Inventory benchmark, measured as visitors use it: real HTTP through the web server (uvicorn), 10 clients, 300 distinct random
filter combinations per row (distinct, so no cached count helps; the first request of each is the only one),
open loop at a visitors' rate (the targets) and closed loop (saturation), with the CPU each request cost, on two
datasets: 100,000 and 1,000,000 generated vehicles in MariaDB.

    .venv/bin/python -m tests.load.bench_inventory          # prints the markdown section (both datasets)
    from tests.load.bench_inventory import run; run()       # same, for tests/load/run_all.py

Databases: `BENCH_INVENTORY_DB` (default `auction_bench`, 100,000 vehicles) and `BENCH_INVENTORY_DB_1M` (default
`auction_bench_1m`, 1,000,000); `BENCH_INVENTORY_1M=0` skips the second, `BENCH_INVENTORY_100K=0` the first. Same server and credentials as
$DATABASE_URL. Each is filled once and reused: the first 100,000 rows through the ORM (`bulk_create`), the
condition report and locations by one SQL UPDATE, and the 1M dataset by copying those rows nine times with
`INSERT … SELECT` (new VINs, shifted mileage, prices and dates).

Each dataset run starts one web process serving the site (`config/server.py`: uvicorn, as tests/fixtures/live_server.py
does) and a load generator in this process (asyncio, raw HTTP/1.1 keep-alive, one connection per client).
It also keeps the CSV import rate (10,000 rows, no network decoding) on the 100k dataset.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
COMBINATIONS = int(os.environ.get("BENCH_COMBINATIONS", "300"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "10"))
# Open loop: 10 visitors, each asking for a page or an API list every 2 s on average (reading the cards between).
OPEN_RATE = float(os.environ.get("BENCH_OPEN_RATE", "5"))
BASE_ROWS = 100_000
BENCH_SELLER = "bench-seller@bench.test"
IMPORT_SELLER = "bench-import@bench.test"
TARGETS = {"100k": {"api": 50.0, "page": 80.0}, "1M": {"api": 150.0, "page": 150.0}}

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
# Where the bench vehicles are: one real ZIP per (state, city), so distance searches find neighbours.
ZIPS = ["55401", "55802", "53202", "53703", "50309", "52401", "58102", "57104", "60601", "61602", "48226", "49503",
        "43215", "44113", "75201", "77002", "78701", "90012", "94103", "92101", "33130", "32801", "10001", "14202",
        "80202", "80903", "85004", "85701", "98101", "99201"]  # fmt: skip
WORDS = ["leather seats", "sunroof", "one owner", "garage kept", "new tires", "tow package", "navigation",
         "heated seats", "backup camera", "service records", "minor scratches", "clean interior"]  # fmt: skip
SORTS = ["ending", "newest", "price_asc", "price_desc", "mileage", "year_desc", "year_asc"]


def database_url(name: str) -> str:
    base = os.environ.get("DATABASE_URL", "mysql://root:@127.0.0.1:3306/auction")
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def datasets() -> list[tuple[str, str, int]]:
    default = os.environ.get("BENCH_DATABASE_NAME", "auction_bench")  # make bench's shared name (tests/load/run_all.py)
    found = []
    if os.environ.get("BENCH_INVENTORY_100K", "1") != "0":
        found.append(("100k", os.environ.get("BENCH_INVENTORY_DB", default), BASE_ROWS))
    if os.environ.get("BENCH_INVENTORY_1M", "1") != "0":
        found.append(("1M", os.environ.get("BENCH_INVENTORY_DB_1M", "auction_bench_1m"), 1_000_000))
    return found


def child_env(db_name: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(db_name),
        "TEST_ISOLATION": f"bench-inventory-{db_name}",
        "VPIC_ENABLED": "false",
        "CLEARVIN_EMAIL": "",
        "OPENAI_API_KEY": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "LOG_LEVEL": "ERROR",
    }


def run() -> str:
    """Run each dataset in a child process on its bench database; return the markdown section."""
    results = []
    for label, db_name, total in datasets():
        completed = subprocess.run(
            [sys.executable, "-m", "tests.load.bench_inventory", "--json", label, str(total)],
            cwd=ROOT,
            env=child_env(db_name),
            capture_output=True,
            text=True,
            timeout=4 * 3600,
            check=False,
        )
        if completed.returncode != 0:
            return (
                f"## Inventory\n\nThe inventory benchmark failed ({label}):\n\n```\n{completed.stderr[-3000:]}\n```\n"
            )
        data = json.loads(completed.stdout.strip().splitlines()[-1])
        results.append({**data, "label": label, "database": db_name})
    return markdown(results)


def _row(name: str, stats: dict[str, Any], target: float | None) -> str:
    verdict = "—" if target is None else f"≤ {target:.0f} {'✓' if stats['p95'] <= target else '✗'}"
    mode = f"open, {stats['rate']:g}/s" if stats["rate"] else "closed loop"
    cpu = stats["cpu_ms"]
    return (
        f"| {name} | {mode}, {stats['clients']} | {stats['count']} | {stats['p50']:.1f} | {stats['p95']:.1f} | "
        f"{stats['p99']:.1f} | {stats['max']:.1f} | {stats['rps']:.1f} | {cpu['web']:.1f} / {cpu['mariadb']:.1f} / "
        f"{cpu['client']:.1f} | {stats['load']} | {verdict} |"
    )


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "## Inventory (vehicles): over HTTP, 10 clients, 300 distinct filter combinations",
        "",
        "**Method.** One web process (uvicorn, `config/server.py`) serves the site (`config.asgi:application`, test settings: MariaDB, Redis "
        "cache), started as `tests/fixtures/live_server.py` does. The load generator (asyncio, raw HTTP/1.1 "
        f"keep-alive, one connection per client) runs {CLIENTS} clients over {COMBINATIONS} distinct, randomly "
        "generated filter combinations per row (make, model, years, price, mileage, body, fuel, state, no reserve, "
        "buy now, runs and drives, keys, clean title, no damage, within N miles of a ZIP, a text word, every sort, "
        "pages 1-5), each requested once: every count is computed, none is cached, and the first request of each "
        "combination is the only one. Every row gets its own combinations. **Open loop** (the target rows): "
        f"requests due at Poisson times, {OPEN_RATE:g} per second in all (10 visitors each loading a list every 2 s "
        "on average), latency counted from when a request was due (waiting for a free client included). "
        "**Closed loop**: each client sends its next request as soon as it has the answer (saturation: req/s is the "
        "capacity, latency is mostly queueing, ≈ clients / req/s). **CPU ms/request** (web process / MariaDB / load "
        "generator) is what each request cost, the figure that does not depend on the machine's other load. "
        "Command: `.venv/bin/python -m tests.load.bench_inventory` (databases `BENCH_INVENTORY_DB`, default "
        "`auction_bench`, and `BENCH_INVENTORY_DB_1M`, default `auction_bench_1m`; created and filled on first run; "
        "`BENCH_OPEN_RATE` sets the open-loop rate). Searches are answered by the web process's in-memory inventory "
        "index (vehicles/inventory_index.py), loaded by the warm-up's first request; a page's rows are then read "
        "by primary key.",
        "",
    ]
    for data in results:
        target = TARGETS[data["label"]]
        lines += [
            f"### {data['vehicles']:,} vehicles ({data['in_inventory']:,} in the inventory; database `{data['database']}`)",
            "",
            f"Load average before / after: {data['load_before']} / {data['load_after']} (2 cores). The web "
            f"process's first request, which loads its inventory index: {data.get('first_request_s', 0):.1f} s.",
            "",
            "| endpoint | mode, clients | requests | p50 ms | p95 ms | p99 ms | max ms | req/s | CPU ms/request "
            "web / MariaDB / client | load avg | target p95 |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|---|---|",
            _row("`GET /api/vehicles`", data["api"], target["api"]),
            _row("inventory page `/vehicles/`", data["page"], target["page"]),
            _row("`GET /api/vehicles`", data["api_closed"], None),
            _row("inventory page `/vehicles/`", data["page_closed"], None),
            _row("`GET /api/vehicles`", data["api_one"], None),
            "",
            f"Slowest API combinations (open loop): "
            f"{', '.join(f'`{q}` {ms:.0f} ms' for q, ms in data['api']['slowest'])}.",
            "",
        ]
        if data.get("import"):
            imp = data["import"]
            lines += [
                f"CSV import, {imp['rows']:,} rows, no network decoding: first run **{imp['first_rate']:.0f} "
                f"vehicles/s** ({imp['first_seconds']:.1f} s, target ≥ 500/s); re-run of the same file (all "
                f"unchanged, upsert by VIN) {imp['rerun_rate']:.0f} rows/s.",
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


def _fill_base(seller: Any, total: int) -> None:
    """The first rows through the ORM (as the site would write them)."""
    from django.utils import timezone

    from vehicles.models import Vehicle
    from vehicles.vin import with_check_digit

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


def _fill_condition_and_places(seller: Any) -> None:
    """Condition report and location for rows that lack them (new rows, or a dataset made before these
    columns existed), in one UPDATE: a state and ZIP pair per row, coordinates from core.geo."""
    from django.db import connection

    from core.geo import zip_point
    from vehicles.models import Vehicle

    if not Vehicle.objects.filter(seller=seller, starts="").exists():
        return
    points = [zip_point(z) for z in ZIPS]
    cases = lambda attr: " ".join(  # noqa: E731
        f"WHEN {i} THEN '{getattr(p, attr)}'" for i, p in enumerate(points) if p is not None
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE vehicles_vehicle SET
                starts = ELT(1 + (id * 7) %% 10, 'yes','yes','yes','yes','yes','yes','yes','no','with_assistance','yes'),
                drives = IF((id * 7) %% 10 IN (7, 8) OR id %% 13 = 0, 'no', 'yes'),
                keys_count = (id * 3) %% 4,
                airbags_deployed = IF(id %% 17 = 0, 'yes', 'no'),
                damage_mask = IF(id %% 3 = 0, 0, 1 << (id %% 6)),
                damage = IF(id %% 3 = 0, JSON_ARRAY(), JSON_ARRAY(JSON_OBJECT('panel', 'hood', 'type',
                    ELT(1 + id %% 6, 'dent','scratch','rust','hail','crack','missing'), 'severity', 'minor',
                    'photo_id', NULL))),
                postal_code = CASE id %% {len(points)} {cases("zip_code")} END,
                city = CASE id %% {len(points)} {cases("city")} END,
                state = CASE id %% {len(points)} {cases("state")} END,
                latitude = CASE id %% {len(points)} {cases("latitude")} END,
                longitude = CASE id %% {len(points)} {cases("longitude")} END
            WHERE seller_id = %s""",  # noqa: S608 - built from constants and core.geo's table
            [seller.pk],
        )


def _expand(seller: Any, total: int) -> None:
    """Copy the first BASE_ROWS rows until there are `total`, in SQL (INSERT … SELECT), chunk by chunk."""
    from django.db import connection, transaction

    from vehicles.models import Vehicle

    have = Vehicle.objects.filter(seller=seller).count()
    if have >= total:
        return
    fields = [
        str(f.column) for f in Vehicle._meta.concrete_fields if not getattr(f, "generated", False) and f.column != "id"
    ]
    changed = {
        "vin": "CONCAT(LEFT(vin, 9), '{letter}', RIGHT(vin, 7))",
        "mileage": "(mileage + {k} * 3217) %% 300000",
        "starting_price": "starting_price + {k} * 100",
        "reserve_price": "IF(reserve_price IS NULL, NULL, reserve_price + {k} * 100)",
        "buy_now_price": "IF(buy_now_price IS NULL, NULL, buy_now_price + {k} * 300)",
        "current_price": "IF(current_price IS NULL, NULL, current_price + {k} * 100)",
        "approved_at": "IF(approved_at IS NULL, NULL, approved_at - INTERVAL {k} DAY)",
        "year": "LEAST(2025, GREATEST(2005, year + ({k} %% 3) - 1))",
        "latitude": "latitude + ({k} - 5) * 0.05",
        "longitude": "longitude + ({k} - 5) * 0.05",
    }
    letters = "ABCDEFGHJ"
    base_ids = list(Vehicle.objects.filter(seller=seller).order_by("pk").values_list("pk", flat=True)[:BASE_ROWS])
    low, high = base_ids[0], base_ids[-1]
    step = 25_000
    copies = (total - BASE_ROWS) // BASE_ROWS
    done = (have - BASE_ROWS) // BASE_ROWS
    for k in range(done + 1, copies + 1):
        select = ", ".join(changed.get(c, f"`{c}`").format(k=k, letter=letters[k - 1]) for c in fields)
        for start in range(low, high + 1, step):
            with transaction.atomic(), connection.cursor() as cursor:
                columns = ", ".join(f"`{c}`" for c in fields)
                sql = f"INSERT INTO vehicles_vehicle ({columns}) SELECT {select} FROM vehicles_vehicle "  # noqa: S608
                cursor.execute(
                    sql + "WHERE seller_id = %s AND id BETWEEN %s AND %s",
                    [seller.pk, start, min(start + step - 1, high)],
                )
            print(f"copy {k}/{copies}: ids from {start}", file=sys.stderr, flush=True)


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE TABLE vehicles_vehicle")
        cursor.fetchall()


def combinations(seed: int, count: int) -> list[str]:
    """`count` distinct random inventory query strings, as visitors combine filters."""
    rng = random.Random(seed)
    found: dict[str, None] = {}
    while len(found) < count:
        params: dict[str, Any] = {}
        if rng.random() < 0.6:
            make = rng.choice(list(MAKES))
            params["make"] = make
            if rng.random() < 0.5:
                params["model"] = rng.choice(MAKES[make])
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            kind = rng.choice(
                ["year", "price", "mileage", "body", "fuel", "state", "no_reserve", "buy_now", "runs", "keys",
                 "clean", "nodamage", "distance", "q", "ending"]
            )  # fmt: skip
            if kind == "year":
                params["year_min"] = rng.randint(2006, 2022)
            elif kind == "price":
                low = rng.randrange(1000, 30000, 500)
                params["price_max"] = low + rng.randrange(2000, 40000, 500)
                if rng.random() < 0.5:
                    params["price_min"] = low
            elif kind == "mileage":
                params["mileage_max"] = rng.choice([25000, 50000, 75000, 100000, 150000])
            elif kind == "body":
                params["body_type"] = rng.choice(["sedan", "suv", "pickup", "hatchback", "coupe", "van"])
            elif kind == "fuel":
                params["fuel_type"] = rng.choice(["gasoline", "hybrid", "diesel", "electric"])
            elif kind == "state":
                params["state"] = rng.choice(STATES)
            elif kind == "distance":
                params["distance"] = rng.choice([25, 50, 100, 250, 500])
                params["zip"] = rng.choice(ZIPS)
            elif kind == "q":
                params["q"] = rng.choice([w.split()[0] for w in WORDS] + ["accord", "sport", "limited"])
            else:
                flag = {"no_reserve": "no_reserve", "buy_now": "buy_now", "runs": "runs_drives", "keys": "has_keys",
                        "clean": "clean_title", "ending": "ending_24h"}.get(kind)  # fmt: skip
                if flag:
                    params[flag] = "true"
                else:
                    params["damage"] = "none"
        sorts = [*SORTS, "distance"] if "zip" in params else SORTS
        params["sort"] = rng.choice(sorts)
        if len(params) <= 2 and rng.random() < 0.3:  # deeper pages of broad searches (narrow ones have one page)
            params["page"] = rng.randint(2, 5)
        found[urlencode(params)] = None
    return list(found)


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, port: int) -> tuple[int, bytes]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: */*\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return status, body
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def _load(port: int, paths: list[str], clients: int, rate: float = 0.0) -> dict[str, Any]:
    """Request every path once over `clients` keep-alive connections. Closed loop (rate 0): each client sends
    its next request when it has the answer (saturation: latency is mostly queueing). Open loop: requests are
    due at Poisson times, `rate` per second in all, and latency counts from when a request was due, so time
    spent waiting for a free client (the server being behind) is counted too."""
    queue: asyncio.Queue[tuple[str, float]] = asyncio.Queue()
    rng = random.Random(len(paths))
    begin = time.perf_counter() + 0.05
    due = begin
    for path in paths:
        queue.put_nowait((path, due))
        if rate:
            due += rng.expovariate(rate)
    samples: list[tuple[float, str]] = []
    errors: list[str] = []

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not queue.empty():
                path, at = queue.get_nowait()
                if rate:
                    await asyncio.sleep(max(0.0, at - time.perf_counter()))
                started = at if rate else time.perf_counter()
                status, body = await _get(reader, writer, path, port)
                elapsed = (time.perf_counter() - started) * 1000
                if status != 200:
                    errors.append(f"{path} -> {status}: {body[:200]!r}")
                samples.append((elapsed, path))
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. {errors[:3]}")
    latencies = sorted(ms for ms, _ in samples)
    quantiles = statistics.quantiles(latencies, n=100)
    slowest = sorted(samples, reverse=True)[:3]
    return {
        "count": len(latencies),
        "p50": statistics.median(latencies),
        "p95": quantiles[94],
        "p99": quantiles[98],
        "max": latencies[-1],
        "rps": len(latencies) / wall,
        "slowest": [(path.split("?", 1)[1], ms) for ms, path in slowest],
    }


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _mariadb_pid() -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("mariadbd", "mysqld"):
                    return int(entry.name)
            except OSError:
                continue
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server(port: int, log: Path) -> subprocess.Popen[bytes]:
    from config.server import command

    # The process loads its inventory index on the warm-up's first request (not in the background): a web process
    # behind the balancer takes traffic once loaded (about 3 s per 100,000 vehicles), as docs/vehicles.md says.
    env = {
        **os.environ,
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
        "PYTHONUNBUFFERED": "1",
        "INVENTORY_INDEX_SYNC_LOAD_UNDER": "100000000",
    }
    return subprocess.Popen(
        command(host="127.0.0.1", port=port),
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web server exited:\n{log.read_text()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the web server did not start:\n{log.read_text()[-3000:]}")


def _phase(port: int, web_pid: int, paths: list[str], clients: int, rate: float = 0.0) -> dict[str, Any]:
    """One timed run, with the CPU the server, MariaDB and this load generator used per request."""
    mariadb = _mariadb_pid()
    before = (_cpu_seconds(web_pid), _cpu_seconds(mariadb) if mariadb else 0.0, time.process_time())
    load = os.getloadavg()[0]
    stats = asyncio.run(_load(port, paths, clients, rate))
    n = stats["count"]
    stats["cpu_ms"] = {
        "web": (_cpu_seconds(web_pid) - before[0]) * 1000 / n,
        "mariadb": ((_cpu_seconds(mariadb) - before[1]) * 1000 / n) if mariadb else 0.0,
        "client": (time.process_time() - before[2]) * 1000 / n,
    }
    stats["load"] = f"{load:.1f} → {os.getloadavg()[0]:.1f}"
    stats["rate"] = rate
    stats["clients"] = clients
    return stats


def _measure_http(label: str) -> dict[str, Any]:
    """The same 300 + 300 combinations in each mode: open loop at OPEN_RATE (the target), then closed loop
    (saturation). The second mode sees the first one's counts cached (30 s), so it gets fresh combinations."""
    seed = 1000 if label == "100k" else 2000
    api_open = ["/api/vehicles?" + q for q in combinations(seed, COMBINATIONS)]
    page_open = ["/vehicles/?" + q for q in combinations(seed + 1, COMBINATIONS)]
    api_closed = ["/api/vehicles?" + q for q in combinations(seed + 3, COMBINATIONS)]
    page_closed = ["/vehicles/?" + q for q in combinations(seed + 4, COMBINATIONS)]
    one_paths = ["/api/vehicles?" + q for q in combinations(seed + 2, min(100, COMBINATIONS))]
    warmup = ["/api/vehicles?page_size=1", "/vehicles/?page_size=24", "/api/vehicles?make=Honda&page_size=1"] * 3
    port = _free_port()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "server.log"
        process = _server(port, log)
        try:
            _wait(port, process, log)
            started = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{warmup[0]}", timeout=900) as first:  # noqa: S310
                first.read()  # the inventory index loads here
            first_request = time.monotonic() - started
            asyncio.run(_load(port, warmup, 3))
            load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
            phases = {
                "api": _phase(port, process.pid, api_open, CLIENTS, OPEN_RATE),
                "page": _phase(port, process.pid, page_open, CLIENTS, OPEN_RATE),
                "api_closed": _phase(port, process.pid, api_closed, CLIENTS),
                "page_closed": _phase(port, process.pid, page_closed, CLIENTS),
                "api_one": _phase(port, process.pid, one_paths, 1),
            }
            load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return {**phases, "load_before": load_before, "load_after": load_after, "first_request_s": first_request}


def _import_rate() -> dict[str, float]:
    from django.core.management import call_command

    from vehicles.models import Vehicle
    from vehicles.vin import with_check_digit

    seller = _seller(IMPORT_SELLER)
    Vehicle.objects.filter(seller=seller).delete()
    rng = random.Random(7)
    header = ["vin", "year", "make", "model", "trim", "body_type", "mileage", "exterior_color", "condition_grade",
              "title_type", "features", "description", "city", "state", "postal_code", "starting_price",
              "reserve_price", "buy_now_price", "starts", "drives", "keys_count", "damage"]  # fmt: skip
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
                     start + 1000, "", "yes", "yes", "2", "hood:hail:minor"]
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


def prepare(total: int) -> None:
    """Create, migrate and fill the dataset (idempotent: a filled database is reused)."""
    from django.core.management import call_command

    _ensure_database()
    call_command("migrate", verbosity=0, interactive=False)
    seller = _seller(BENCH_SELLER)
    _fill_base(seller, min(total, BASE_ROWS))
    _fill_condition_and_places(seller)
    if total > BASE_ROWS:
        _expand(seller, total)
    _analyze()


def child_main(label: str, total: int) -> dict[str, Any]:
    import django

    django.setup()
    from vehicles.models import Vehicle

    prepare(total)
    measured = _measure_http(label)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "vehicles": Vehicle.objects.count(),
        "in_inventory": Vehicle.objects.in_inventory().count(),
        **measured,
        "import": _import_rate() if label == "100k" and IMPORT_ROWS else None,
        "maxrss_mb": usage.ru_maxrss / 1024,
    }


if __name__ == "__main__":
    if "--prepare" in sys.argv:
        import django

        django.setup()
        prepare(int(sys.argv[-1]))
    elif "--json" in sys.argv:
        print(json.dumps(child_main(sys.argv[-2], int(sys.argv[-1]))))
    else:
        print(run())
