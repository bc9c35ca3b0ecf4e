"""The production-like files are coherent: compose services, health checks, Dockerfile stages, .env.example."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_declares_the_stack_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "balancer", "web", "worker", "beat"} <= set(services)
    assert services["db"]["image"].startswith("mysql:8")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("db", "redis", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name
    # the balancer is the one published port; the web replicas sit behind it and believe its address only
    assert [p.split(":")[-1] for p in services["balancer"]["ports"]] == ["8000"]
    assert "ports" not in services["web"]
    assert services["web"]["deploy"]["replicas"] >= 2
    balancer_ip = services["balancer"]["networks"]["default"]["ipv4_address"]
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == balancer_ip
    assert services["balancer"]["environment"]["LB_SOURCE"] == balancer_ip
    assert "worker" in services["worker"]["command"]
    # order creation has its own queue and its own workers; the default worker never consumes it
    assert services["worker"]["command"][services["worker"]["command"].index("-Q") + 1] == "celery"
    orders = services["orders-worker"]["command"]
    assert "worker" in orders
    assert orders[orders.index("-Q") + 1] == "orders"
    assert "healthcheck" in services["orders-worker"]
    assert "beat" in services["beat"]["command"]


def test_dockerfile_is_multi_stage_and_runs_as_non_root():
    text = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    assert re.search(r"^USER app$", text, re.M)
    # the one web-process command; X-Forwarded-For is believed by the app from TRUSTED_PROXIES, not by daphne
    assert re.search(r'^CMD \["bash", "scripts/web-server.sh", "0.0.0.0", "8000"\]$', text, re.M)
    assert "--proxy-headers" not in text


def test_env_example_documents_every_setting_read_from_the_environment():
    names = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        names |= set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', path.read_text()))
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    missing = names - documented - {"DJANGO_SETTINGS_MODULE"}
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_make_run_starts_a_worker_for_order_creation_and_one_for_the_rest():
    """`make run` (scripts/run-local.sh) runs the queues as production does: orders are created by a worker of
    their own (CELERY_ORDERS_QUEUE, default "orders", config/celery.py) and the other worker never takes them."""
    from django.conf import settings

    script = (ROOT / "scripts" / "run-local.sh").read_text()
    workers = [line for line in script.splitlines() if re.search(r"celery .*\bworker\b", line)]
    queues = sorted(re.search(r"-Q (\S+)", line).group(1) for line in workers)  # type: ignore[union-attr]
    assert queues == ['"${CELERY_ORDERS_QUEUE:-orders}"', "celery"]
    assert settings.CELERY_ORDERS_QUEUE.startswith("orders")
