"""Listing descriptions drafted by OpenAI (structured output), or by a plain sandbox without a key.

The draft is only ever put into the seller's form; the seller edits it and submits it for review, so
nothing generated is published unreviewed. Every failure becomes VendorUnavailable with a message
that says the seller's text was left as it was.
"""

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import openai
import structlog
from django.conf import settings

from core.errors import VendorUnavailable
from core.vendor_http import assert_outside_transaction

logger = structlog.get_logger(__name__)

RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "vehicle_listing_description",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "headline": {"type": "string", "description": "One line, at most 90 characters"},
                "description": {"type": "string", "description": "Two or three short paragraphs, plain text"},
                "highlights": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "3 to 6 short bullet points",
                },
            },
            "required": ["headline", "description", "highlights"],
            "additionalProperties": False,
        },
    },
}
SYSTEM_PROMPT = (
    "You write honest, specific listing descriptions for a US online vehicle auction. Use only the facts "
    "given; never invent options, history or condition. Mention known flaws from the condition notes plainly. "
    "No prices, no contact details, no superlatives like 'best'. American English, plain text, no markdown."
)


@dataclass
class DescriptionDraft:
    headline: str
    description: str
    highlights: list[str] = field(default_factory=list)
    source: str = "sandbox"

    @property
    def text(self) -> str:
        """What goes into the description field."""
        bullets = "\n".join(f"- {item}" for item in self.highlights if item.strip())
        return f"{self.description.strip()}\n\nHighlights:\n{bullets}" if bullets else self.description.strip()


class DescriptionWriter(Protocol):
    def draft(self, facts: dict[str, Any]) -> DescriptionDraft: ...


def facts_text(facts: dict[str, Any]) -> str:
    lines = [f"{key.replace('_', ' ')}: {value}" for key, value in facts.items() if value not in (None, "", [])]
    return "\n".join(lines)


class OpenAIDescriptionWriter:
    """`chat.completions.create` with a strict json_schema response format (VENDORS.md)."""

    def __init__(
        self, *, api_key: str | None = None, base_url: str | None = None, model: str | None = None, max_retries: int = 1
    ) -> None:
        self.client = openai.OpenAI(
            api_key=api_key or settings.OPENAI_API_KEY,
            base_url=base_url or settings.OPENAI_BASE_URL,
            max_retries=max_retries,
            timeout=settings.VENDOR_HTTP_TIMEOUT * 3,
        )
        self.model = model or settings.OPENAI_MODEL

    def draft(self, facts: dict[str, Any]) -> DescriptionDraft:
        assert_outside_transaction("openai")
        try:
            completion = self.client.chat.completions.create(  # type: ignore[call-overload]
                model=self.model,
                messages=[
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": "Write the listing for this vehicle.\n" + facts_text(facts)},
                ],
                response_format=RESPONSE_FORMAT,
                temperature=0.4,
            )
        except openai.RateLimitError as exc:
            logger.warning("openai.rate_limited", error=str(exc))
            raise VendorUnavailable(
                "The description assistant is busy right now. Try again in a minute; your text was not changed."
            ) from exc
        except openai.AuthenticationError as exc:
            logger.error("openai.auth_failed", error=str(exc))
            raise VendorUnavailable(
                "The description assistant is not available (our account was refused). Your text was not changed."
            ) from exc
        except (openai.APITimeoutError, openai.APIConnectionError) as exc:
            raise VendorUnavailable(
                "The description assistant did not answer in time. Your text was not changed."
            ) from exc
        except openai.APIError as exc:
            logger.warning("openai.failed", error=str(exc))
            raise VendorUnavailable("The description assistant failed. Your text was not changed.") from exc
        choice = completion.choices[0] if completion.choices else None
        content = choice.message.content if choice is not None else None
        if choice is None or choice.finish_reason != "stop" or not content:
            raise VendorUnavailable("The description assistant gave no usable answer. Your text was not changed.")
        try:
            data = json.loads(content)
            return DescriptionDraft(
                headline=str(data["headline"]),
                description=str(data["description"]),
                highlights=[str(item) for item in data.get("highlights", [])][:8],
                source="openai",
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise VendorUnavailable(
                "The description assistant's answer was garbled. Your text was not changed."
            ) from exc


class SandboxDescriptionWriter:
    """No key configured (`make run`, tests): a plain, factual description built from the specs."""

    def draft(self, facts: dict[str, Any]) -> DescriptionDraft:
        title = " ".join(str(facts[k]) for k in ("year", "make", "model", "trim") if facts.get(k))
        specs = [facts.get(k) for k in ("engine", "transmission", "drivetrain", "fuel_type") if facts.get(k)]
        sentences = [
            f"This {title} is offered with {int(facts['mileage']):,} miles on the odometer."
            if facts.get("mileage") is not None
            else f"This {title} is offered at auction."
        ]
        if specs:
            sentences.append("It has " + ", ".join(str(s) for s in specs) + ".")
        if facts.get("exterior_color"):
            colour = f"It is finished in {facts['exterior_color']}"
            if facts.get("interior_color"):
                colour += f" with a {facts['interior_color']} interior"
            sentences.append(colour + ".")
        if facts.get("title_brand"):
            sentences.append(f"Title: {facts['title_brand']}.")
        paragraphs = [" ".join(sentences)]
        report = []  # the structured condition report (vehicles.services.descriptions.condition_report_facts)
        if facts.get("runs_and_drives") == "yes":
            report.append("Runs and drives (seller's report).")
        elif facts.get("runs_and_drives"):
            report.append(f"Does not run and drive: {facts['runs_and_drives'].removeprefix('no ').strip('()')}.")
        if facts.get("keys") == "none":
            report.append("No keys.")
        elif facts.get("keys"):
            report.append(f"Comes with {facts['keys']} key{'s' if facts['keys'] != '1' else ''}.")
        if facts.get("damage_by_panel"):
            report.append(f"Damage by panel: {facts['damage_by_panel']}.")
        if facts.get("condition_grade") or facts.get("condition_notes"):
            report.append(f"Condition: {facts.get('condition_grade') or 'see notes'}.")
            if facts.get("condition_notes"):
                report.append(f"Seller's notes: {facts['condition_notes']}")
        if report:
            paragraphs.append(" ".join(report))
        features = list(facts.get("features") or [])
        return DescriptionDraft(
            headline=title,
            description="\n\n".join(paragraphs),
            highlights=[str(item) for item in features[:6]],
            source="sandbox",
        )


def description_writer() -> DescriptionWriter:
    if settings.OPENAI_API_KEY:
        return OpenAIDescriptionWriter()
    return SandboxDescriptionWriter()
