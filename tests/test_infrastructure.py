"""The real parts work: a Celery worker on the Redis broker, channels-redis to a WebSocket client, health."""

import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings

from config.asgi import application
from config.celery import app as celery_app
from core.consumers import SITE_GROUP

ROOT = Path(__file__).resolve().parents[1]


def test_channel_layer_is_channels_redis():
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] >= 1000


@pytest.mark.django_db(transaction=True)
def test_group_message_reaches_websocket_client_through_redis():
    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/site/", headers=[(b"origin", b"http://127.0.0.1")])
        connected, _ = await communicator.connect()
        assert connected
        hello = await communicator.receive_json_from(timeout=5)
        assert hello["type"] == "connection_response"
        assert "server_time" in hello
        # a separate layer instance: the message really goes through Redis
        from channels_redis.core import RedisChannelLayer

        config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
        publisher = RedisChannelLayer(hosts=config["hosts"], prefix=config["prefix"])
        await publisher.group_send(SITE_GROUP, {"type": "site.announcement", "message": "Maintenance at 2am"})
        received = await communicator.receive_json_from(timeout=5)
        assert received == {"type": "announcement", "message": "Maintenance at 2am"}
        await communicator.send_json_to({"type": "ping"})
        pong = await communicator.receive_json_from(timeout=5)
        assert pong["type"] == "pong"
        await communicator.disconnect()
        await publisher.flush()

    async_to_sync(scenario)()


def test_celery_task_runs_on_a_real_worker_over_redis(tmp_path, monkeypatch):
    """Starts a worker process on the Redis broker and waits for its result."""
    assert celery_app.conf.broker_url.startswith("redis://")
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-infra"
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_TASK_ALWAYS_EAGER": "false",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        result = celery_app.send_task("core.tasks.ping", queue=queue)
        # Not inside a task: an eager task run earlier in this process may have left Celery's "inside a task" flag.
        assert result.get(timeout=60, disable_sync_subtasks=False) == "pong"
    finally:
        worker.terminate()
        worker.wait(timeout=20)


@pytest.mark.django_db
def test_health_is_200_when_everything_answers(client):
    response = client.get("/api/health")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "channel_layer", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_health_is_503_when_the_broker_is_down(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    # celery 5.6 resolves the producers' URL (broker_write_url) from broker_url once, when configured
    monkeypatch.setattr(celery_app.conf, "broker_write_url", "redis://127.0.0.1:1/0")
    response = client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_production_settings_refuse_to_start_without_secrets():
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_start_with_secrets():
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": "mysql://app:pw@db:3306/auction",
        "REDIS_URL": "redis://redis:6379/0",
        "ALLOWED_HOSTS": "auction.example.com",
        "SITE_URL": "https://auction.example.com",
    }
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.CHANNEL_LAYERS['default']['BACKEND'])"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False channels_redis.core.RedisChannelLayer"


@pytest.mark.django_db
def test_request_id_is_echoed_and_generated(client):
    assert len(client.get("/api/health")["X-Request-ID"]) == 32
    assert client.get("/api/health", HTTP_X_REQUEST_ID="abc12345-trace")["X-Request-ID"] == "abc12345-trace"


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/auth/login" in schema.json()["paths"]
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_metrics_endpoint_exports_prometheus_text(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total" in response.content


@pytest.mark.django_db
def test_metrics_needs_staff_or_token_when_not_public(client, settings, staff_user):
    settings.METRICS_PUBLIC = False
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200
    client.force_login(staff_user)
    assert client.get("/metrics").status_code == 200


def test_request_id_travels_into_celery_task_headers():
    from config.celery import _attach_request_id
    from core.request_id import reset_request_id, set_request_id

    token = set_request_id("req-12345678")
    try:
        headers: dict = {}
        _attach_request_id(headers=headers)
    finally:
        reset_request_id(token)
    assert headers == {"request_id": "req-12345678"}


def test_json_log_lines_carry_the_request_id(capsys):
    import json
    import logging
    import logging.config

    import structlog

    from config.logging import build_logging

    logging.config.dictConfig(build_logging(json=True, level="INFO"))
    structlog.contextvars.bind_contextvars(request_id="rid-abcdef12")
    try:
        structlog.get_logger("test").info("hello", answer=42)
    finally:
        structlog.contextvars.clear_contextvars()
        logging.config.dictConfig(settings.LOGGING)
    line = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")][-1]
    assert line["event"] == "hello"
    assert line["request_id"] == "rid-abcdef12"
    assert line["answer"] == 42


def test_openapi_schema_generates_without_warnings_or_errors():
    """Every documented endpoint has a schema; nested Input/Output serializers don't collide."""
    from io import StringIO

    from django.core.management import call_command

    err = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=StringIO(), stderr=err)
    assert "Warning" not in err.getvalue()
