"""Headers and production settings (issue 15, item 7): a Content-Security-Policy without inline script or eval,
TRACE refused, HSTS for a year with subdomains, HTTPS-only cookies in production unless the environment says
otherwise (the compose stack on plain HTTP)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.live_server import ROOT

pytestmark = pytest.mark.django_db
OUR_TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


@pytest.mark.parametrize("path", ["/", "/vehicles/", "/accounts/login/", "/api/docs/", "/admin/login/"])
def test_pages_carry_a_policy_without_inline_script_or_eval(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = directives(response)
    assert "'self'" in policy["script-src"]
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "https:", "data:"} & set(policy["script-src"])
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]


def test_json_answers_carry_no_policy_as_the_bid_lane_sends_none(client):
    assert "Content-Security-Policy" not in client.get("/api/health")
    assert "Content-Security-Policy" not in client.get("/api/vehicles")


def test_the_swagger_ui_page_loads_its_setup_as_a_script_file(client):
    page = client.get("/api/docs/").content.decode()
    inline = [
        m for m in re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S) if "src=" not in m[0] and m[1].strip()
    ]
    assert inline == []
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>\s*\S", re.I)
INLINE_HANDLER = re.compile(r"\s on[a-z]+\s*=\s*[\"']", re.I)
JAVASCRIPT_URL = re.compile(r"(href|src|action)\s*=\s*[\"']\s*javascript:", re.I)


def test_no_template_has_inline_script_handlers_or_javascript_urls():
    offenders = []
    for folder in OUR_TEMPLATE_DIRS:
        for template in folder.rglob("*.html"):
            if "/email/" in str(template) or template.name.startswith("email"):
                continue  # emails: no script runs in a mail reader, and the site's CSP does not apply there
            text = template.read_text()
            for pattern in (INLINE_SCRIPT, INLINE_HANDLER, JAVASCRIPT_URL):
                offenders += [
                    f"{template.relative_to(ROOT)}: {m.group(0).strip()[:60]}" for m in pattern.finditer(text)
                ]
    assert offenders == [], "move scripts to static/js/ and pass data with data-* or json_script"


@pytest.mark.parametrize("path", ["/", "/api/health", "/accounts/login/"])
def test_trace_is_refused(client, path):
    response = client.generic("TRACE", path)
    assert response.status_code == 405
    assert "TRACE" not in response["Allow"]


def _production(**extra: str) -> dict[str, object]:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": "mysql://app:pw@db:3306/auction",
        "REDIS_URL": "redis://redis:6379/0",
        "ALLOWED_HOSTS": "auction.example.com",
        "SITE_URL": "https://auction.example.com",
        **extra,
    }
    names = ["SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"]
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_sends_hsts_for_a_year_with_subdomains_and_secure_cookies_by_default():
    assert _production() == {
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }


def test_production_cookies_can_be_sent_over_plain_http_when_the_environment_says_so():
    values = _production(SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false")
    assert (values["SESSION_COOKIE_SECURE"], values["CSRF_COOKIE_SECURE"]) == (False, False)


def test_the_compose_stack_on_plain_http_turns_secure_cookies_off():
    compose = Path(ROOT / "docker-compose.yml").read_text()
    assert 'SESSION_COOKIE_SECURE: "false"' in compose
    assert 'CSRF_COOKIE_SECURE: "false"' in compose


def test_hsts_header_on_https_requests(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert settings.CONTENT_SECURITY_POLICY  # the policy is in base settings: every environment sends it
