"""Inventory search measured in-process (issue 20): where a request's time goes, without HTTP or load.

For each of the HTTP bench's 300 combinations (`bench_inventory.combinations`, the same seeds) the API view
(`GET /api/vehicles`) and the inventory page (`/vehicles/`) are called through RequestFactory on a bench
database; every SQL statement is timed (`connection.execute_wrapper`) and filed as the count (the capped
`COUNT(*)`), the page query (ids and rows) or other; the rest of the request is Python (filtering, serializing,
rendering). The count cache is bypassed, so every count is computed as in the HTTP bench.

    DATABASE_URL=mysql://root:@127.0.0.1:3306/auction_bench .venv/bin/python -m tests.load.inventory_inprocess
    DATABASE_URL=mysql://root:@127.0.0.1:3306/auction_bench_1m .venv/bin/python -m tests.load.inventory_inprocess 1M

Options: `--only api|page`, `--n 300`, `--slowest 8` (prints the slowest combinations' SQL for EXPLAIN),
`--dump FILE` (one line per request), `--cap 1000` (another COUNT_CAP).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("TEST_ISOLATION", "inventory-inprocess")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()


class Timer:
    """Times each statement and files it under count / page / other."""

    def __init__(self) -> None:
        self.count = 0.0
        self.page = 0.0
        self.other = 0.0
        self.sql: list[tuple[float, str]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - start
            if "COUNT(" in sql and "LIMIT" in sql:
                self.count += spent
            elif "vehicles_vehicle" in sql and "DISTINCT" not in sql:
                self.page += spent
            else:
                self.other += spent
            self.sql.append((spent, sql % tuple(repr(p) for p in params) if params else sql))


DUMP: Any = None  # --dump FILE: one line per request (kind, count ms, page ms, path)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _summary(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"| {name} | {statistics.median(ms):.1f} | {_pct(ms, 0.95):.1f} | {max(ms):.1f} | {statistics.mean(ms):.1f} |"
    )


def measure(kind: str, paths: list[str], slowest: int) -> dict[str, list[float]]:
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.test import RequestFactory

    from vehicles.apis.vehicles import VehicleListApi
    from vehicles.views.public import inventory

    factory = RequestFactory()
    api_view = VehicleListApi.as_view()
    out: dict[str, list[float]] = {"count": [], "page": [], "other_sql": [], "python": [], "total": []}
    worst: list[tuple[float, str, list[tuple[float, str]]]] = []
    import vehicles.paging

    class NoCountCache:  # every count computed, as in the HTTP bench (other cached reads stay cached)
        def get(self, *args: Any, **kwargs: Any) -> None:
            return None

        def set(self, *args: Any, **kwargs: Any) -> None:
            return None

    original = vehicles.paging.cache
    vehicles.paging.cache = NoCountCache()  # type: ignore[assignment]
    try:
        for path in paths:
            request = factory.get(path)
            request.user = AnonymousUser()
            timer = Timer()
            start = time.perf_counter()
            with connection.execute_wrapper(timer):
                if kind == "api":
                    response = api_view(request)
                    response.render()
                else:
                    response = inventory(request)
            total = time.perf_counter() - start
            assert response.status_code == 200, (path, response.status_code)
            out["count"].append(timer.count)
            out["page"].append(timer.page)
            out["other_sql"].append(timer.other)
            out["python"].append(total - timer.count - timer.page - timer.other)
            out["total"].append(total)
            worst.append((timer.count + timer.page, path, timer.sql))
            if DUMP is not None:
                DUMP.write(f"{kind}\t{timer.count * 1000:.1f}\t{timer.page * 1000:.1f}\t{path}\n")
    finally:
        vehicles.paging.cache = original
    worst.sort(reverse=True)
    for spent, path, sqls in worst[:slowest]:
        print(f"\n-- {kind} {spent * 1000:.0f} ms DB: {path}", file=sys.stderr)
        for t, sql in sorted(sqls, reverse=True)[:2]:
            print(f"   {t * 1000:.0f} ms: {sql}", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("label", nargs="?", default="100k", choices=["100k", "1M"])
    parser.add_argument("--only", choices=["api", "page"])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--slowest", type=int, default=0)
    parser.add_argument("--dump")
    parser.add_argument("--cap", type=int, help="try another COUNT_CAP (vehicles/paging.py)")
    args = parser.parse_args()
    global DUMP
    DUMP = open(args.dump, "w") if args.dump else None  # noqa: SIM115
    _setup()
    from tests.load.bench_inventory import combinations

    if args.cap:
        import vehicles.paging

        vehicles.paging.COUNT_CAP = args.cap
    seed = 1000 if args.label == "100k" else 2000
    kinds = [args.only] if args.only else ["api", "page"]
    print(f"### {args.label}: {args.n} combinations, in-process (ms)\n")
    print("| request, part | p50 | p95 | max | mean |\n|---|---:|---:|---:|---:|")
    for kind in kinds:
        prefix = "/api/vehicles?" if kind == "api" else "/vehicles/?"
        paths = [prefix + q for q in combinations(seed if kind == "api" else seed + 1, args.n)]
        measure(kind, paths[:3], 0)  # warm: imports, templates, connection
        result = measure(kind, paths, args.slowest)
        for part in ("count", "page", "other_sql", "python", "total"):
            print(_summary(f"{kind} {part}", result[part]))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
