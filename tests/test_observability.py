"""observability/: the Prometheus configuration, the alert rules and the Grafana dashboard load, say what the
issue asks, and every metric they use exists: in this process' registry (core.metrics, django-prometheus and
the scrape-time collectors) or in HAProxy's exporter, read from a balancer this test starts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from tests.fixtures.live_server import free_port

ROOT = Path(__file__).resolve().parents[1]
OBSERVABILITY = ROOT / "observability"

PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values",
    "inf", "nan", "le",
}  # fmt: skip


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are not functions, keywords, label names
    (inside {…} or after by/without/on/ignoring) or strings."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        name = match.group(0)
        after = text[match.end() :].lstrip()
        if after.startswith("(") or name.lower() in PROMQL_WORDS:
            continue
        names.add(name)
    return names


def alert_rules() -> list[dict]:
    document = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((OBSERVABILITY / "grafana" / "northstar.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def registry_names() -> set[str]:
    from django_prometheus.middleware import Metrics

    Metrics.get_instance()  # django-prometheus registers its HTTP metrics with its middleware
    names: set[str] = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.add(family.name + "_total")
        if family.type == "histogram":
            names.update(family.name + suffix for suffix in ("_bucket", "_sum", "_count"))
    return names


@pytest.fixture(scope="module")
def haproxy_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Metric names of HAProxy's exporter, from a balancer started with deploy/haproxy.cfg."""
    workdir = tmp_path_factory.mktemp("haproxy")
    metrics_port = free_port()
    env = {
        **os.environ,
        "LB_BIND": f"127.0.0.1:{free_port()}",
        "LB_METRICS_BIND": f"127.0.0.1:{metrics_port}",
        "LB_SOCKET": str(workdir / "lb.sock"),
        "LB_SOURCE": "127.0.0.2",
        "LB_HEALTH_HOST": "127.0.0.1",
        "WEB1": f"127.0.0.1:{free_port()}",
        "WEB2": f"127.0.0.1:{free_port()}",
    }
    process = subprocess.Popen(
        ["haproxy", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as response:  # noqa: S310
                    text = response.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=10)
    return {line.split("{")[0].split()[0] for line in text.splitlines() if line and not line.startswith("#")}


def test_metric_name_extraction() -> None:
    expr = 'sum by (le) (rate(auction_bid_seconds_bucket{job="web", code=~"5.."}[5m])) / clamp_min(x_total, 0.1) > 2'
    assert metric_names(expr) == {"auction_bid_seconds_bucket", "x_total"}


def test_prometheus_configuration_loads_and_scrapes_every_process() -> None:
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    for rule_file in config["rule_files"]:
        assert (OBSERVABILITY / rule_file).exists()
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {"web", "worker", "balancer"} <= set(jobs)
    for job in jobs.values():
        assert job.get("static_configs") or job.get("dns_sd_configs"), job["job_name"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    web_port = jobs["web"]["dns_sd_configs"][0]["port"]
    assert str(web_port) == compose["web"]["environment"]["WEB_METRICS_PORT"]
    workers = [name for name, service in compose.items() if "worker" in service.get("command", [])]
    assert {"worker", "orders-worker"} <= set(workers)
    for name in workers:  # every process of every worker service (order creation's too) is scraped
        worker_ports = sorted(sd["port"] for sd in jobs[name]["dns_sd_configs"] if sd["names"] == [name])
        concurrency = int(re.search(r"--concurrency=(\d+)", " ".join(compose[name]["command"])).group(1))
        first = int(compose[name]["environment"]["CELERY_METRICS_PORT"])
        assert worker_ports == list(range(first, first + concurrency)), name


def test_alert_rules_cover_what_must_page() -> None:
    rules = {rule["alert"]: rule for rule in alert_rules()}
    assert {
        "AuctionCloseLag",
        "NoWorkerConsuming",
        "PaymentFailuresSpike",
        "WebhookSignatureFailures",
        "High5xxRate",
    } <= set(rules)
    assert "auction_close_backlog_seconds" in rules["AuctionCloseLag"]["expr"]
    assert "> 10" in rules["AuctionCloseLag"]["expr"]
    for rule in rules.values():
        assert rule["labels"]["severity"] in ("page", "ticket")
        assert rule["annotations"]["summary"]
        assert rule["expr"].count("(") == rule["expr"].count(")")


def test_dashboard_loads_with_a_query_per_panel() -> None:
    dashboard = json.loads((OBSERVABILITY / "grafana" / "northstar.json").read_text())
    assert dashboard["uid"]
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]


@pytest.mark.django_db
def test_every_metric_the_alerts_and_the_dashboard_use_exists(haproxy_names: set[str]) -> None:
    known = registry_names() | haproxy_names
    used = set()
    for expr in [rule["expr"] for rule in alert_rules()] + dashboard_exprs():
        used |= metric_names(expr)
    missing = used - known
    assert not missing, f"metrics used by observability/ that nothing exports: {sorted(missing)}"
    # the business metrics are among them
    assert {
        "auction_bids_total",
        "auction_bid_batch_size_sum",
        "auction_close_lag_seconds_bucket",
        "payments_total",
        "webhook_failures_total",
        "email_queue_depth",
        "email_queue_oldest_seconds",
        "websocket_connections",
    } <= used


@pytest.mark.django_db(transaction=True)
def test_websocket_connections_are_counted_per_process_while_open() -> None:
    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator

    from config.asgi import application
    from core.metrics import websocket_connections

    gauge = websocket_connections.labels(route="site")
    before = gauge._value.get()

    async def scenario() -> tuple[float, float]:
        communicator = WebsocketCommunicator(application, "/ws/site/", headers=[(b"origin", b"http://127.0.0.1")])
        connected, _ = await communicator.connect()
        assert connected
        during = gauge._value.get()
        await communicator.disconnect()
        return during, gauge._value.get()

    during, after = async_to_sync(scenario)()
    assert (during, after) == (before + 1, before)
