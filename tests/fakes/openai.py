"""A local OpenAI speaking `POST {base}/chat/completions` (VENDORS.md): a `chat.completion` whose message
content is the JSON the request's `response_format.json_schema` asked for; errors as
`{"error": {"message", "type", "code"}}` with 429 (→ RateLimitError) or 401 (→ AuthenticationError)."""

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fakes.http import FakeHandler, run_fake_server

API_KEY = "sk-test-fake-key"


@dataclass
class OpenAIState:
    mode: str = "ok"  # ok | rate_limit | auth | garbage | no_schema_ok
    requests: list[dict[str, Any]] = field(default_factory=list)


def _draft_from(messages: list[dict[str, Any]]) -> dict[str, Any]:
    facts = messages[-1]["content"] if messages else ""
    lines = dict(line.split(": ", 1) for line in facts.splitlines() if ": " in line)
    title = " ".join(lines.get(key, "") for key in ("year", "make", "model", "trim")).strip()
    return {
        "headline": f"{title} — clean and well kept",
        "description": f"This {title} shows {lines.get('mileage', 'unknown')} miles. "
        f"Condition notes from the seller: {lines.get('condition notes', 'none given')}.",
        "highlights": [f"{lines.get('engine', 'Engine as decoded')}", "Clean title", "Recent service"],
    }


class OpenAIHandler(FakeHandler):
    def _error(self, status: int, message: str, kind: str, code: str) -> None:
        self.send_json(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})

    def do_POST(self) -> None:
        body = self.read_json() or {}
        self.state.requests.append({"path": self.path, "auth": self.headers.get("Authorization", ""), "body": body})
        if not urlsplit(self.path).path.endswith("/chat/completions"):
            self._error(404, "Unknown path", "invalid_request_error", "unknown_url")
            return
        if self.headers.get("Authorization") != f"Bearer {API_KEY}" or self.state.mode == "auth":
            self._error(
                401,
                "Incorrect API key provided: sk-***. You can find your API key at https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                "invalid_api_key",
            )
            return
        if self.state.mode == "rate_limit":
            self._error(
                429,
                "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.",
                "requests",
                "rate_limit_exceeded",
            )
            return
        response_format = body.get("response_format") or {}
        if response_format.get("type") != "json_schema" or not response_format.get("json_schema", {}).get("schema"):
            self._error(
                400, "response_format must be json_schema for this fake", "invalid_request_error", "invalid_value"
            )
            return
        content = (
            "this is not json" if self.state.mode == "garbage" else json.dumps(_draft_from(body.get("messages", [])))
        )
        self.send_json(
            200,
            {
                "id": "chatcmpl-fake123",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "gpt-4o-mini"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200},
                "system_fingerprint": "fp_fake",
            },
        )


@pytest.fixture
def fake_openai(settings: Any) -> Iterator[OpenAIState]:
    state = OpenAIState()
    with run_fake_server(OpenAIHandler, state=state) as base_url:
        settings.OPENAI_API_KEY = API_KEY
        settings.OPENAI_BASE_URL = base_url + "/v1"
        settings.OPENAI_MODEL = "gpt-4o-mini"
        yield state
