"""Turn either gateway's spec into one intermediate form: a JSON Schema plus model metadata.

The vtrix spec lists parameters with dotted ``path``s and ``children``; Modellix publishes an
OpenAPI path object whose request body carries a JSON Schema. Both become a :class:`ModelSpec`
whose ``schema`` uses a small, checked subset of JSON Schema.

The reader is lenient where real specs are loose (the official vtrix client's types show
enum values as strings on integer, number and boolean parameters, ``array[string]`` types,
unknown type words and constraint keys, defaults of another JSON type, ``min``/``max`` on
strings): such values are coerced when every one of them parses, and otherwise dropped, each
with a warning naming the spec and the field (``ModelSpec.warnings``). A spec is refused
with a :class:`SpecError` (naming the spec, the JSON path and the reason) only for what
could steer code generation, what cannot be named safely, or a shape that is not a spec.
"""

from __future__ import annotations

import json
import re
from typing import Any

from vtrix.base.record import field, record
from vtrix.spec.clean import SpecError

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")


@record(frozen=True)
class ModelSpec:
    """One model in the normalised form shared by codegen, the runtime and the sandbox."""

    id: str
    provider: str
    name: str
    type: str
    endpoint: str
    summary: str
    schema: dict[str, Any] = field(default_factory=dict)
    method: str = "POST"
    # What the lenient reader coerced or dropped (not part of the spec's identity).
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "name": self.name,
            "type": self.type,
            "endpoint": self.endpoint,
            "method": self.method,
            "summary": self.summary,
            "schema": self.schema,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        return cls(
            id=data["id"],
            provider=data["provider"],
            name=data["name"],
            type=data["type"],
            endpoint=data["endpoint"],
            method=data.get("method", "POST"),
            summary=data.get("summary", ""),
            schema=data["schema"],
        )


def check_model_id(model_id: object, source: str, json_path: str = "$.id") -> str:
    """A vtrix id or one half of a Modellix slug: safe as a file name and URL segment."""
    if not isinstance(model_id, str) or not _SAFE_ID.match(model_id) or ".." in model_id:
        raise SpecError(
            source,
            json_path,
            f"model id {model_id!r} is not a safe identifier "
            "(letters, digits, '.', '_', '-'; at most 128 characters)",
        )
    return model_id


_MODALITIES = ("video", "image", "audio", "text")
_MODALITY_WORDS = {
    "video": ("video", "avatar", "lip-sync", "motion"),
    "audio": ("audio", "speech", "tts", "voice", "music", "sound"),
    "image": ("image", "try-on", "photo", "edit", "upscale", "background"),
    "text": ("text", "transcri", "caption", "recogni"),
}
_TEXT_OUT = ("recogni", "transcri", "caption", "understand")


def modality_of(kind: str) -> str:
    """The output modality of a catalog type: ``text-to-image`` -> ``image``,
    ``avatar-video`` -> ``video``, ``video`` -> ``video``; an unknown word is kept."""
    low = kind.strip().lower()
    if low in _MODALITIES:
        return low
    after = low.rsplit("-to-", 1)[-1] if "-to-" in low else low
    if any(w in after for w in _TEXT_OUT):
        return "text"
    for modality in _MODALITIES:
        if modality in after.split("-"):
            return modality
    for modality, words in _MODALITY_WORDS.items():
        if any(w in after for w in words):
            return modality
    return low or "unknown"


def summary_line(text: str, limit: int | None = None) -> str:
    """First sentence or line of ``text``, whitespace folded; cut (with "…") only when a
    ``limit`` is given — tables cut, data (``-o json``, specs, the index) never does."""
    line = " ".join(str(text).split())
    for stop in (". ", "; "):
        if stop in line:
            line = line.split(stop, 1)[0] + stop.strip()
            break
    if limit is None or len(line) <= limit:
        return line
    return line[: limit - 1].rstrip() + "…"


# ------------------------------------------------------------------------- the checked subset


def agent_prompt(spec: ModelSpec) -> str:
    """A compact text for agents, for specs that carry none of their own: what the model is,
    then a line per parameter (nested fields as ``a.b``, array items as ``a[].b``) with its
    type, whether it is required, its values or range, its default and what it is for."""
    from vtrix.spec.describe import fields, range_phrase
    from vtrix.spec.option import PARTIAL_NOTE

    summary = spec.summary if spec.summary and spec.summary != spec.name else ""
    head = f"{spec.name} ({spec.type}, {spec.provider}: {spec.id})."
    lines = [f"{head} {summary}".strip(), "Parameters:"]
    rows = list(fields(spec.schema))
    for f in rows:
        sub = f.schema
        facts = [f.kind, "required" if f.required else "optional"]
        if "enum" in sub:
            facts.append("one of " + "|".join(str(v) for v in sub["enum"]))
        bounds = range_phrase(sub)
        if bounds:
            facts.append(bounds.removeprefix("in range ").replace("–", "-"))
        if "default" in sub:
            facts.append(f"default {json.dumps(sub['default'], ensure_ascii=False)}")
        text = " ".join(str(sub.get("description", "")).split())
        lines.append(f"- {f.path} ({', '.join(facts)})" + (f": {text}" if text else ""))
    if not rows:
        lines[-1] = (
            "Parameters: not published by its gateway; pass them as its documentation "
            "says (sent as given, unchecked)."
        )
    elif spec.schema.get("additionalProperties") is True:
        lines.append(PARTIAL_NOTE)
    return "\n".join(lines)
