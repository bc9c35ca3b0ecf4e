"""Visitors of the site, for Locust (tests/load/bench_locust.py runs it headless in `make bench`).

    locust -f tests/load/locustfile.py --host http://127.0.0.1:8000     # with LOCUST_FIXTURE=<json file>

The mix, per visitor, with 1-5 s of thinking between steps (people read pages):
- browse (the home page, the inventory, the live auctions),
- search (the inventory with filters and words, the auctions API search),
- view a vehicle (its page, with the auction panel),
- watch (add an auction to the watchlist, and open its live room for a moment),
- bid (the API with a JWT; about one step in eight for a logged-in bidder),
- pay (a bidder's won order: pay once with an Idempotency-Key, then look at the order).

LOCUST_FIXTURE names a JSON file: {"vehicle_ids": [...], "auction_ids": [...], "bidders": [{"token", "order_id"}]}
(bench_locust.py writes it). LOCUST_STAGES ("25,50,100,…") and LOCUST_STAGE_SECONDS shape the load: that many
concurrent visitors per stage; each request is recorded with its stage in LOCUST_RESULTS (JSON lines) for the
report. Page requests are named "page: …", API requests "api: …".
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, LoadTestShape, between, events, task

FIXTURE: dict[str, Any] = (
    json.loads(Path(os.environ["LOCUST_FIXTURE"]).read_text()) if os.environ.get("LOCUST_FIXTURE") else {}
)
STAGES = [int(n) for n in os.environ.get("LOCUST_STAGES", "10,25,50,100,200,400").split(",")]
STAGE_SECONDS = float(os.environ.get("LOCUST_STAGE_SECONDS", "20"))
RESULTS = os.environ.get("LOCUST_RESULTS")
MAKES = ["Toyota", "Honda", "Ford", "Chevrolet", "BMW", "Subaru"]
_bidders = itertools.cycle(FIXTURE.get("bidders") or [None])
_started = time.monotonic()
_results = open(RESULTS, "a") if RESULTS else None  # noqa: SIM115


def stage_now() -> int:
    return min(int((time.monotonic() - _started) // STAGE_SECONDS), len(STAGES) - 1)


@events.request.add_listener
def _record(name: str, response_time: float, exception: Any, **_: Any) -> None:
    if _results is not None:
        _results.write(
            json.dumps({"stage": stage_now(), "name": name, "ms": response_time, "ok": exception is None}) + "\n"
        )


@events.quitting.add_listener
def _close(**_: Any) -> None:
    if _results is not None:
        _results.flush()


class Stages(LoadTestShape):
    """LOCUST_STAGES concurrent visitors, LOCUST_STAGE_SECONDS each, then stop."""

    def tick(self) -> tuple[int, float] | None:
        run_time = self.get_run_time()
        stage = int(run_time // STAGE_SECONDS)
        if stage >= len(STAGES):
            return None
        return STAGES[stage], max(5.0, STAGES[stage] / 2)


class Visitor(HttpUser):
    wait_time = between(1, 5)

    def on_start(self) -> None:
        self.bidder = next(_bidders) if random.random() < 0.3 else None  # a third of visitors are bidders
        self.paid = False
        self.headers = {"Authorization": f"Bearer {self.bidder['token']}"} if self.bidder else {}

    def _vehicle(self) -> int:
        return random.choice(FIXTURE["vehicle_ids"])

    def _auction(self) -> int:
        return random.choice(FIXTURE["auction_ids"])

    @task(6)
    def browse(self) -> None:
        page = random.choice(["/", "/vehicles/", "/auctions/", "/vehicles/?page=2"])
        self.client.get(page, name=f"page: {page.split('?')[0]}")

    @task(4)
    def search(self) -> None:
        make = random.choice(MAKES)
        if random.random() < 0.5:
            self.client.get(f"/vehicles/?make={make}&sort=price_asc", name="page: /vehicles/ (search)")
        else:
            self.client.get(f"/api/vehicles?q={make}&page_size=24", name="api: /api/vehicles (search)")

    @task(5)
    def view_vehicle(self) -> None:
        self.client.get(f"/vehicles/{self._vehicle()}/", name="page: /vehicles/<id>/")

    @task(2)
    def watch(self) -> None:
        auction = self._auction()
        if self.bidder:
            self.client.post(f"/api/favorites/auction/{auction}", headers=self.headers, name="api: watch")
        self._live_room(auction)

    def _live_room(self, auction: int) -> None:
        """Open the room, read the join message, leave (a visitor glancing at a live auction)."""
        from websockets.sync.client import connect

        url = self.host.replace("http", "ws", 1) + f"/ws/auctions/{auction}/"
        started = time.perf_counter()
        exception = None
        try:
            with connect(url, origin=self.host, open_timeout=30) as socket:
                while json.loads(socket.recv(timeout=30))["type"] != "auction_joined":
                    pass
        except Exception as exc:  # noqa: BLE001 - reported to Locust as a failed request
            exception = exc
        events.request.fire(
            request_type="WS",
            name="ws: join a live room",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=exception,
            context={},
        )

    @task(2)
    def bid(self) -> None:
        if not self.bidder:
            return self.view_vehicle()
        auction = self._auction()
        with self.client.get(
            f"/api/auctions/{auction}", name="api: /api/auctions/<id>", catch_response=True
        ) as response:
            minimum = response.json().get("minimum_next_bid") if response.ok else None
            response.success()
        if not minimum:
            return None
        amount = f"{float(minimum) + random.choice([0, 0, 100, 250]):.2f}"
        with self.client.post(
            f"/api/auctions/{auction}/bid",
            json={"amount": amount},
            headers={**self.headers, "Idempotency-Key": uuid.uuid4().hex},
            name="api: bid",
            catch_response=True,
        ) as response:
            if response.status_code in (201, 400, 409):  # a refusal because the price moved is an answer
                response.success()
        return None

    @task(1)
    def pay(self) -> None:
        if not self.bidder or not self.bidder.get("order_id"):
            return self.browse()
        order = self.bidder["order_id"]
        if not self.paid:
            self.paid = True
            with self.client.post(
                f"/api/orders/{order}/pay",
                headers={**self.headers, "Idempotency-Key": f"locust-{order}"},
                name="api: pay",
                catch_response=True,
            ) as response:
                if response.status_code in (200, 202, 402, 409):  # 409: paid already (a re-run)
                    response.success()
        self.client.get(f"/api/orders/{order}", headers=self.headers, name="api: /api/orders/<id>")
        return None
