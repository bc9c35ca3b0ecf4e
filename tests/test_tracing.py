"""OpenTelemetry tracing (core/tracing.py): one bid's span tree from the HTTP request to the after-commit
broadcast, one Celery close, the trace id on log lines (in-memory exporter); the OTLP export itself, to a
local collector speaking OTLP/HTTP; and nothing at all when it is off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.db import connections
from django.utils import timezone
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from core import tracing

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.instrument(provider)
    connections.close_all()  # connections opened from here on are traced
    try:
        yield exporter
    finally:
        tracing.uninstrument()
        connections.close_all()


def _tree(spans: list[ReadableSpan], root: ReadableSpan) -> list[ReadableSpan]:
    """`root` and every span below it."""
    children: dict[int, list[ReadableSpan]] = {}
    for span in spans:
        if span.parent is not None:
            children.setdefault(span.parent.span_id, []).append(span)
    found, stack = [], [root]
    while stack:
        span = stack.pop()
        found.append(span)
        stack.extend(children.get(span.context.span_id, []))
    return found


def _below(spans: list[ReadableSpan], name: str, root: ReadableSpan) -> ReadableSpan:
    matches = [s for s in _tree(spans, root) if s.name == name]
    assert matches, f"no {name!r} span under {root.name!r}: {sorted({s.name for s in _tree(spans, root)})}"
    return matches[0]


def _statements(spans: list[ReadableSpan], root: ReadableSpan) -> list[str]:
    return [str(s.attributes.get("db.statement", "")) for s in _tree(spans, root) if s.attributes]


def _bid_over_http(auction_id: int, token: str) -> int:
    from config.asgi import application

    app = tracing.asgi(application)
    body = json.dumps({"amount": "6000.00"}).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/api/auctions/{auction_id}/bid",
        "raw_path": f"/api/auctions/{auction_id}/bid".encode(),
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def request() -> int:
        communicator = ApplicationCommunicator(app, scope)
        await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
        start = await communicator.receive_output(30)
        await communicator.receive_output(30)
        await communicator.wait(30)
        return int(start["status"])

    return async_to_sync(request)()


@pytest.mark.usefixtures("transactional_db")
def test_one_bid_is_one_trace_from_the_request_to_the_after_commit_broadcast(spans: InMemorySpanExporter) -> None:
    from rest_framework_simplejwt.tokens import AccessToken

    from auctions.realtime import flush
    from tests.load.bench_bidding import bench_users, make_auction

    seller, (bidder,) = bench_users(1, "trace")
    auction = make_auction(seller, "TRACE")
    assert _bid_over_http(auction.pk, str(AccessToken.for_user(bidder))) == 201
    flush()  # the broadcast is sent from the room sender's loop: wait for it

    finished = list(spans.get_finished_spans())
    request = next(s for s in finished if s.kind is SpanKind.SERVER and s.name.startswith("POST"))
    assert request.parent is None
    batch = _below(finished, "auction.bid_batch", request)
    assert batch.attributes["auction.id"] == auction.pk
    under_lock = _statements(finished, batch)
    assert any("FOR UPDATE" in sql for sql in under_lock), under_lock
    assert any(sql.startswith("INSERT INTO `auctions_bid`") for sql in under_lock), under_lock
    after_commit = _below(finished, "auction.bids_accepted", batch)
    published = [s for s in _tree(finished, after_commit) if s.kind is SpanKind.CLIENT and "PUBLISH" in s.name]
    assert published, f"no Redis PUBLISH under the after-commit span: {[s.name for s in _tree(finished, after_commit)]}"
    assert {s.context.trace_id for s in _tree(finished, request)} == {request.context.trace_id}


@pytest.mark.usefixtures("transactional_db")
def test_one_celery_close_is_one_trace(spans: InMemorySpanExporter) -> None:
    from auctions.models import Auction
    from auctions.tasks import close_due_auctions
    from tests.load.bench_bidding import bench_users, make_auction

    seller, _ = bench_users(0, "traceclose")
    auction = make_auction(seller, "TRACECLOSE")
    Auction.objects.filter(pk=auction.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    connections.close_all()
    close_due_auctions.apply()

    finished = list(spans.get_finished_spans())
    task = next(s for s in finished if s.name == "run/auctions.tasks.close_due_auctions")
    statements = _statements(finished, task)
    assert any("SKIP LOCKED" in sql for sql in statements), statements
    closed = _below(finished, "auction.closed", task)
    assert closed.context.trace_id == task.context.trace_id
    assert Auction.objects.get(pk=auction.pk).status != Auction.Status.LIVE


def test_log_lines_carry_the_trace_id(spans: InMemorySpanExporter) -> None:
    from config.logging import SHARED_PROCESSORS

    assert tracing.add_trace_ids in SHARED_PROCESSORS
    with tracing._tracer.start_as_current_span("work") as span:
        line = tracing.add_trace_ids(None, "info", {"event": "something"})
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["span_id"] == format(span.get_span_context().span_id, "016x")


def test_tracing_is_off_and_free_without_an_endpoint() -> None:
    assert not tracing.enabled()
    app = object()
    assert tracing.asgi(app) is app
    assert tracing.add_trace_ids(None, "info", {"event": "x"}) == {"event": "x"}

    def work(auction_id: int) -> int:
        return auction_id

    assert tracing.traced("x")(work)(auction_id=3) == 3


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Collector.received.append((self.path, self.headers.get("Content-Type", ""), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_spans_are_exported_over_otlp_when_the_endpoint_is_set() -> None:
    """A separate process with OTEL_EXPORTER_OTLP_ENDPOINT set sends its spans to a local OTLP/HTTP collector."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Collector.received = []
    script = (
        "import django; django.setup()\n"
        "from core import tracing\n"
        "assert tracing.setup_tracing('web')\n"
        "with tracing._tracer.start_as_current_span('exported-span'): pass\n"
        "tracing._provider.force_flush()\n"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_port}"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr[-2000:]
    assert _Collector.received, "nothing reached the collector"
    path, content_type, body = _Collector.received[0]
    assert path == "/v1/traces"
    assert content_type == "application/x-protobuf"
    request = ExportTraceServiceRequest.FromString(body)
    resource = request.resource_spans[0]
    names = [span.name for scope in resource.scope_spans for span in scope.spans]
    assert "exported-span" in names
    service = {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"]
    assert service == "northstar-web"
