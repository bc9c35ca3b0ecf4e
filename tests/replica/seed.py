"""`python -m tests.replica.seed`: in the database of $DATABASE_URL, a seller, two eligible bidders and a live
auction; prints one JSON line: {"auction_id", "tokens": [...]} (run by tests/replica/test_read_replica.py)."""

import json

import django


def main() -> None:
    django.setup()
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from core.reference_data import ensure_reference_data
    from tests.load.bench_bidding import bench_users, make_auction

    call_command("migrate", verbosity=0, interactive=False)
    ensure_reference_data()
    seller, bidders = bench_users(2, "replica")
    auction = make_auction(seller, "REPLICA", minutes=60)
    print(json.dumps({"auction_id": auction.pk, "tokens": [str(AccessToken.for_user(b)) for b in bidders]}))


if __name__ == "__main__":
    main()
