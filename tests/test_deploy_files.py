"""The production-like files are coherent: compose services, health checks, Dockerfile stages, .env.example."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_declares_the_stack_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "web", "worker", "beat"} <= set(services)
    assert services["db"]["image"].startswith("mysql:8")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("db", "redis", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name
    web = services["web"]  # published directly: the server trusts no X-Forwarded-For there
    assert web["command"] == ["python", "-m", "config.server"]  # the one definition of a web process
    assert web["environment"]["WEB_PROXY_HEADERS"] == "false"
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_dockerfile_is_multi_stage_and_runs_as_non_root():
    text = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    assert re.search(r"^USER app$", text, re.M)
    assert 'CMD ["python", "-m", "config.server"]' in text  # the one definition of a web process
    assert "WEB_PROXY_HEADERS=true" in text  # the image runs behind a load balancer that sets X-Forwarded-For


def test_env_example_documents_every_setting_read_from_the_environment():
    names = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        names |= set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', path.read_text()))
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    missing = names - documented - {"DJANGO_SETTINGS_MODULE"}
    assert not missing, f".env.example lacks {sorted(missing)}"
