"""No input is a 500 (issue 15, item 5) and the schema tells the truth (item 6): schemathesis runs over every
operation in /api/schema/ against a real daphne (the ASGI app as deployed, the HTTP bid lane included), as a
buyer and as a seller. Every answer must be something other than a 5xx (`not_a_server_error`), with a status
the operation documents (`status_code_conformance`), a documented content type (`content_type_conformance`)
and a body that matches that status's schema (`response_schema_conformance`).

Bounded and repeatable: the examples, coverage (boundary values) and fuzzing phases, a fixed seed, a fixed
number of examples per operation, no shrinking, a time budget. Operations come from the schema, so a new
endpoint is fuzzed the day it is added. On failure the message holds schemathesis's report: each operation
that answered 5xx, with a curl command that reproduces it.
"""

import subprocess
import sys
import urllib.request
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from tests.fixtures.live_server import ROOT, running_daphne

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SEED = 20261206
MAX_EXAMPLES = 6
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance")
TIME_BUDGET_SECONDS = 100  # per identity; the run stops generating when it is spent


@pytest.fixture
def people(seller: User, eligible_buyer: User, auction_factory: Any, place_bid: Any) -> dict[str, User]:
    """A seller with a running auction and a draft vehicle, and a buyer leading it, so that small ids exist."""
    from tests.fixtures.vehicles import VehicleFactory

    VehicleFactory(seller=seller, status="draft")
    auction = auction_factory(vehicle__seller=seller, ends_at=timezone.now() + timedelta(hours=2))
    place_bid(auction, eligible_buyer, Decimal("5000"))
    return {"buyer": eligible_buyer, "seller": seller}


def schemathesis_run(base_url: str, token: str, report: Path) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{base_url}/api/schema/?format=json",
        "--url", base_url,
        "--checks", ",".join(CHECKS),
        "--phases", "examples,coverage,fuzzing",
        "--mode", "all",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--no-shrink",
        "--workers", "1",
        "--max-time", str(TIME_BUDGET_SECONDS),
        "--request-timeout", "20",
        "--header", f"Authorization: Bearer {token}",
        "--suppress-health-check", "all",
        "--warnings", "off",
        "--report", "junit", "--report-junit-path", str(report),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_no_request_in_the_schema_gets_a_5xx_as_buyer_or_seller(people: dict[str, User], tmp_path: Path) -> None:
    # every vendor is its sandbox, VIN decoding stays offline: no network in tests
    with running_daphne(tmp_path / "daphne.log", VPIC_ENABLED="false", OPENAI_API_KEY="") as base_url:
        # the server builds the schema once (core.schema_view); build it now, so that on a busy machine
        # schemathesis's 10 s schema-loading timeout is not spent waiting for the generator
        with urllib.request.urlopen(f"{base_url}/api/schema/?format=json", timeout=180) as warm:
            assert warm.status == 200
        # the buyer's and the seller's runs side by side, against the same server
        runs = {
            who: schemathesis_run(base_url, str(RefreshToken.for_user(user).access_token), tmp_path / f"{who}.xml")
            for who, user in people.items()
        }
        outputs = {who: run.communicate(timeout=TIME_BUDGET_SECONDS + 300)[0] for who, run in runs.items()}
    failures = []
    for who, run in runs.items():
        summary = outputs[who][-12000:]
        print(f"--- schemathesis as {who}:\n{summary[summary.find('SUMMARY') :]}")  # shown with -s / -rP
        assert "Tested: " in summary, f"as {who}, schemathesis did not run:\n{summary}"
        if run.returncode != 0:
            failures.append(
                f"as {who}, schemathesis found server errors or answers the schema does not describe:\n{summary}"
            )
    assert not failures, "\n\n".join(failures)  # both identities' reports, not only the first
