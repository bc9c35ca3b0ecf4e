"""The API schema describes the API (issue 15, item 6), checked on the schema itself; test_api_fuzz.py checks
it against the running API (status codes, content types, bodies).

- every success body has a shape: no free-form object where the API sends a known one (at the top, in the
  envelope's `data`, or in a page's `results`);
- every error status is documented with the one Error body {"error", "code", "details"};
- 429 and 503 say Retry-After; every operation documents 503, every authenticating one 401;
- the bid amount is the amount grammar, not a free string.
"""

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from core.amount_fields import AMOUNT_SCHEMA

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def free_form(node: dict[str, Any]) -> bool:
    return node.get("type") == "object" and not node.get("properties") and not node.get("allOf")


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def test_every_success_body_has_a_shape(schema: dict[str, Any]):
    shapeless = []
    for method, path, op in operations(schema):
        successes = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        assert successes, f"{method} {path} documents no success"
        for code, response in successes.items():
            body = response.get("content", {}).get("application/json", {}).get("schema")
            if body is None:
                continue  # 204, or a file (the invoice PDF)
            top = resolve(schema, body)
            inner = [resolve(schema, top.get("properties", {}).get(key, {})) for key in ("data", "results")]
            inner = [resolve(schema, node.get("items", {})) if node.get("type") == "array" else node for node in inner]
            if free_form(top) or any(free_form(node) for node in inner if node):
                shapeless.append(f"{method} {path} {code}")
    assert not shapeless, f"free-form success bodies: {shapeless}"


def test_every_error_is_the_error_body_and_the_usual_ones_are_documented(schema: dict[str, Any]):
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"error", "code", "details"}
    wrong = []
    for method, path, op in operations(schema):
        responses = op["responses"]
        if "503" not in responses:
            wrong.append(f"{method} {path}: no 503")
        if op.get("security") not in (None, [{}]) and "401" not in responses:
            wrong.append(f"{method} {path}: authenticates but documents no 401")
        for code, response in responses.items():
            if code[0] in "45" and (path, code) != ("/api/health", "503"):  # health's 503 is its report
                body = response.get("content", {}).get("application/json", {}).get("schema", {})
                if body.get("$ref") != "#/components/schemas/Error":
                    wrong.append(f"{method} {path} {code}: {body}")
            if code in ("429", "503") and "Retry-After" not in response.get("headers", {}):
                wrong.append(f"{method} {path} {code}: no Retry-After")
    assert not wrong, "\n".join(wrong)


def test_paginated_lists_document_the_page_object(schema: dict[str, Any]):
    for path in ("/api/orders", "/api/vehicles", "/api/auctions", "/api/saved-searches"):
        page = resolve(
            schema, schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        )
        assert {"count", "page", "pages", "next", "previous", "results"} <= set(page["properties"]), path


def test_the_bid_amount_is_the_amount_grammar(schema: dict[str, Any]):
    body = schema["paths"]["/api/auctions/{auction_id}/bid"]["post"]["requestBody"]["content"]["application/json"]
    amount = resolve(schema, body["schema"])["properties"]["amount"]
    assert amount["pattern"] == AMOUNT_SCHEMA["pattern"]
