"""`docker compose config` without Docker: docker-compose.yml interpolated as Compose does, validated against
the Compose Specification's JSON schema (tests/schemas/compose-spec.json, from compose-spec/compose-spec at
170098ba, 2026-06), then the references Compose resolves itself (services, networks, volumes, files the
stack mounts or builds from). And the balancer's configuration, as compose and `make scale` run it, passes
`haproxy -c`.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "tests" / "schemas" / "compose-spec.json").read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)  # the schema's own draft
HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, $VAR; "$$" is a literal "$"
_VARIABLE = re.compile(
    r"\$(?:\$|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable interpolation over every string of the file (keys included, as Compose does)."""
    if isinstance(value, dict):
        return {interpolate(k, env): interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        current = env.get(name)
        if op in (":-", "-"):
            unset = current is None or (op == ":-" and current == "")
            return arg if unset else str(current)
        if op in (":?", "?"):
            if current is None or (op == ":?" and current == ""):
                raise ValueError(f"required variable {name} is missing: {arg}")
            return current
        return current or ""

    return _VARIABLE.sub(replace, value)


def compose_config(env: dict[str, str] | None = None) -> dict[str, Any]:
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # YAML anchors and merge keys resolved
    # x- extension fields are not part of the model once merged
    return interpolate({k: v for k, v in raw.items() if not k.startswith("x-")}, env or {})


def test_compose_file_matches_the_compose_specification() -> None:
    config = compose_config()
    VALIDATOR.validate(config)


def test_compose_schema_check_catches_a_broken_file() -> None:
    """The validation above can fail: a misspelt key and a wrong type are refused."""
    config = compose_config()
    config["services"]["web"]["deploy"]["replica"] = 2
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(config)
    config = compose_config()
    config["services"]["balancer"]["ports"] = "8000:8000"
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(config)


def test_compose_references_resolve() -> None:
    """What `docker compose config` checks beyond the schema: every depends_on names a service (with a health
    check where it waits for health), every network and named volume is declared, bind mounts and build
    contexts exist, a replicated service has no fixed container name or host port."""
    config = compose_config()
    services = config["services"]
    networks = set(config.get("networks", {})) | {"default"}
    volumes = set(config.get("volumes", {}))
    for name, service in services.items():
        depends = service.get("depends_on", {})
        for other, condition in depends.items() if isinstance(depends, dict) else ((d, {}) for d in depends):
            assert other in services, f"{name} depends on unknown service {other}"
            if condition.get("condition") == "service_healthy":
                assert "healthcheck" in services[other], f"{name} waits for {other}'s health, which has no check"
        for network in service.get("networks", {}):
            assert network in networks, f"{name} uses undeclared network {network}"
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0] if isinstance(mount, str) else mount["source"]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in volumes, f"{name} uses undeclared volume {source}"
        if "build" in service:
            context = service["build"] if isinstance(service["build"], str) else service["build"]["context"]
            assert (ROOT / context / "Dockerfile").exists()
        if service.get("deploy", {}).get("replicas", 1) > 1:
            assert "container_name" not in service, f"{name} is replicated: no fixed container name"
            assert "ports" not in service, f"{name} is replicated: no fixed host port"
        for env_file in service.get("env_file", []):
            path = env_file if isinstance(env_file, str) else env_file["path"]
            optional = isinstance(env_file, dict) and env_file.get("required") is False
            assert optional or (ROOT / path).exists(), f"{name} needs missing env file {path}"
    # the balancer's fixed address lies in the network's subnet
    subnet = config["networks"]["default"]["ipam"]["config"][0]["subnet"]
    address = services["balancer"]["networks"]["default"]["ipv4_address"]
    import ipaddress

    assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet)


def test_compose_interpolation_follows_compose_rules() -> None:
    assert interpolate("${A:-x},${B-y},$$HOME,$C", {"A": "", "B": "", "C": "c"}) == "x,,$HOME,c"
    with pytest.raises(ValueError, match="NEEDED"):
        interpolate("${NEEDED:?set it}", {})
    web = compose_config({"ALLOWED_HOSTS": "auction.example.com"})["services"]["web"]
    assert web["environment"]["ALLOWED_HOSTS"] == "auction.example.com,127.0.0.1"


def _haproxy_check(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    haproxy = shutil.which("haproxy")
    assert haproxy, "HAProxy is not installed: scripts/system-deps.sh installs it"
    base = {
        "LB_BIND": "127.0.0.1:1",
        "LB_METRICS_BIND": "127.0.0.1:2",
        "LB_SOCKET": str(tmp_path / "lb.sock"),
        "LB_HEALTH_HOST": "127.0.0.1",
    }
    return subprocess.run(
        [haproxy, "-c", "-f", str(HAPROXY_CONFIG)],
        env={**os.environ, **base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_balancer_config_is_valid_as_compose_runs_it(tmp_path: Path) -> None:
    balancer = compose_config()["services"]["balancer"]
    env = {k: v for k, v in balancer["environment"].items() if k not in ("LB_BIND", "LB_METRICS_BIND", "LB_SOCKET")}
    result = _haproxy_check(env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_balancer_config_is_valid_as_make_scale_runs_it(tmp_path: Path) -> None:
    result = _haproxy_check({"LB_SOURCE": "127.0.0.2", "WEB1": "127.0.0.1:3", "WEB2": "127.0.0.1:4"}, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = _haproxy_check({"LB_SOURCE": "not-an-address", "WEB1": "127.0.0.1:3"}, tmp_path)
    assert broken.returncode != 0  # the check above can fail
