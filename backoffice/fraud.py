"""Fraud flags, raised when a bid is accepted (shill bidding signals; never a block).

A bidder is flagged on an auction when they share with its seller:
- an IP address (any address either was seen at: bids, logins);
- a device (the long-lived device-id cookie, recorded at login: backoffice.middleware);
- a card (same brand, last four and expiry on file: Authorize.Net gives us no card fingerprint, and two
  different cards agreeing on all three are rare);
or when they bid on a seller's auction after bidding on at least BID_UP_MIN_LOST of that seller's auctions that
ended without them winning, and have never won one of the seller's auctions (a shill pushes prices and loses).

`fraud_scan` reads bids past a cursor (each bid once), a few seconds after they were placed (a bid
transaction that took a lower id but committed later is not skipped), writes flags (one per auction,
bidder and kind) and tells the monitor after commit. The bid path is not touched.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.models import CardOnFile
from auctions.models import Auction, Bid
from backoffice.models import DeviceSighting, FraudFlag, FraudScanCursor

BID_UP_MIN_LOST = 2  # ended auctions of the seller the bidder bid on and lost, before bidding on another
CLOSED = (Auction.Status.ENDED, Auction.Status.CANCELLED)
SCAN_LAG = timedelta(seconds=3)
MONITOR_GROUP = "console_monitor"


@dataclass(frozen=True)
class Finding:
    kind: str
    summary: str
    evidence: dict[str, Any]


def _addresses(user_id: int) -> dict[str, str]:
    """Every address the user was seen at -> when last (ISO), from bids and logins."""
    seen: dict[str, str] = {}
    for ip, last in (
        Bid.objects.filter(bidder_id=user_id, ip_address__isnull=False)
        .values("ip_address")
        .annotate(last=Max("placed_at"))
        .values_list("ip_address", "last")
    ):
        if ip:
            seen[ip] = last.isoformat()
    for ip, last in (
        DeviceSighting.objects.filter(user_id=user_id, ip_address__isnull=False)
        .values("ip_address")
        .annotate(last=Max("last_seen_at"))
        .values_list("ip_address", "last")
    ):
        if ip:
            seen[ip] = max(seen.get(ip, ""), last.isoformat())
    return seen


def _devices(user_id: int) -> dict[str, str]:
    return {
        device: last.isoformat()
        for device, last in DeviceSighting.objects.filter(user_id=user_id)
        .values("device_id")
        .annotate(last=Max("last_seen_at"))
        .values_list("device_id", "last")
    }


def card_fingerprint(card: CardOnFile | None) -> str | None:
    if card is None or not card.last4:
        return None
    return f"{card.brand.lower()}:{card.last4}:{card.exp_month:02d}/{card.exp_year}"


def pair_findings(*, bidder_id: int, seller_id: int) -> list[Finding]:
    """What a bidder shares with a seller, and their bid-up record against that seller."""
    findings: list[Finding] = []
    bidder_ips, seller_ips = _addresses(bidder_id), _addresses(seller_id)
    shared_ips = sorted(set(bidder_ips) & set(seller_ips))
    if shared_ips:
        findings.append(
            Finding(
                FraudFlag.Kind.SHARED_IP,
                f"Bidder and seller both used {', '.join(shared_ips[:3])}",
                {
                    "ips": [
                        {"ip": ip, "bidder_seen": bidder_ips[ip], "seller_seen": seller_ips[ip]} for ip in shared_ips
                    ]
                },
            )
        )
    bidder_devices, seller_devices = _devices(bidder_id), _devices(seller_id)
    shared_devices = sorted(set(bidder_devices) & set(seller_devices))
    if shared_devices:
        findings.append(
            Finding(
                FraudFlag.Kind.SHARED_DEVICE,
                f"Bidder and seller logged in from the same browser ({len(shared_devices)} device id(s))",
                {
                    "devices": [
                        {"device": d[:10] + "…", "bidder_seen": bidder_devices[d], "seller_seen": seller_devices[d]}
                        for d in shared_devices
                    ]
                },
            )
        )
    cards = {card.user_id: card for card in CardOnFile.objects.filter(user_id__in=[bidder_id, seller_id])}
    bidder_card, seller_card = card_fingerprint(cards.get(bidder_id)), card_fingerprint(cards.get(seller_id))
    if bidder_card and bidder_card == seller_card:
        card = cards[bidder_id]
        findings.append(
            Finding(
                FraudFlag.Kind.SHARED_CARD,
                f"Bidder and seller have the same card on file ({card.label}, expires {card.expiry})",
                {"card": card.label, "expiry": card.expiry},
            )
        )
    bid_on = list(
        Bid.objects.filter(bidder_id=bidder_id, auction__seller_id=seller_id, voided_at__isnull=True)
        .values("auction_id", "auction__status", "auction__winner_id", "auction__outcome")
        .annotate(bids=Count("pk"), top=Max("max_amount"))
        .order_by("auction_id")
    )
    lost = [row for row in bid_on if row["auction__status"] in CLOSED and row["auction__winner_id"] != bidder_id]
    if len(lost) >= BID_UP_MIN_LOST and len(bid_on) > len(lost):
        won = Auction.objects.filter(seller_id=seller_id, winner_id=bidder_id).exists()
        if not won:
            findings.append(
                Finding(
                    FraudFlag.Kind.BID_UP,
                    f"Bid on {len(bid_on)} of this seller's auctions; lost all {len(lost)} that ended",
                    {
                        "auctions": [
                            {
                                "auction_id": row["auction_id"],
                                "bids": row["bids"],
                                "highest_max": f"{row['top']:.2f}",
                                "outcome": (row["auction__outcome"] or row["auction__status"]).replace("_", " "),
                            }
                            for row in bid_on
                        ]
                    },
                )
            )
    return findings


def flags_for_bid(bid: Bid, seller_id: int, cache: dict[tuple[int, int], list[Finding]]) -> list[FraudFlag]:
    key = (bid.bidder_id, seller_id)
    if key not in cache:
        cache[key] = pair_findings(bidder_id=bid.bidder_id, seller_id=seller_id)
    return [
        FraudFlag(
            kind=finding.kind,
            auction_id=bid.auction_id,
            bid_id=bid.pk,
            bidder_id=bid.bidder_id,
            seller_id=seller_id,
            summary=finding.summary[:300],
            evidence={**finding.evidence, "bid": {"id": bid.pk, "seq": bid.seq, "ip": bid.ip_address}},
        )
        for finding in cache[key]
    ]


@dataclass
class ScanResult:
    bids: int
    flags: list[FraudFlag]


def fraud_scan(*, limit: int = 500, lag: timedelta = SCAN_LAG) -> ScanResult:
    """Check the bids accepted since the last scan (up to `limit`): how many were read, the flags raised."""
    raised: list[FraudFlag] = []
    with transaction.atomic(durable=True):
        FraudScanCursor.objects.get_or_create(name="bids")
        cursor = FraudScanCursor.objects.select_for_update().get(name="bids")
        bids = list(
            Bid.objects.filter(pk__gt=cursor.last_bid_id, placed_at__lte=timezone.now() - lag)
            .select_related("auction")
            .order_by("pk")[:limit]
        )
        if not bids:
            return ScanResult(0, [])
        cache: dict[tuple[int, int], list[Finding]] = {}
        candidates = [
            flag
            for bid in bids
            if bid.bidder_id != bid.auction.seller_id
            for flag in flags_for_bid(bid, bid.auction.seller_id, cache)
        ]
        existing = set(
            FraudFlag.objects.filter(
                Q(auction_id__in={flag.auction_id for flag in candidates}),
            ).values_list("auction_id", "bidder_id", "kind")
        )
        for flag in candidates:
            key = (flag.auction_id, flag.bidder_id, flag.kind)
            if key in existing:
                continue
            existing.add(key)
            raised.append(flag)
        FraudFlag.objects.bulk_create(raised, ignore_conflicts=True)
        cursor.last_bid_id = bids[-1].pk
        cursor.save(update_fields=["last_bid_id", "updated_at"])
        summaries = [
            {"auction_id": f.auction_id, "bidder_id": f.bidder_id, "kind": f.kind, "summary": f.summary} for f in raised
        ]
        if summaries:
            transaction.on_commit(lambda: _tell_monitor(summaries))
    return ScanResult(len(bids), raised)


def _tell_monitor(summaries: list[dict[str, Any]]) -> None:
    from auctions.realtime import room_send_many

    room_send_many([(MONITOR_GROUP, {"type": "fraud_flag", **summary}, {}) for summary in summaries])
