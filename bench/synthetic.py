"""Realistic synthetic specs for benchmarks: both dialects, mixed types, enums, ranges,
nested objects and arrays of objects."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from vtrix.spec.snapshot import dumps

WORDS = [
    "prompt",
    "negative_prompt",
    "image_url",
    "seed",
    "duration",
    "resolution",
    "aspectRatio",
    "style",
    "strength",
    "steps",
    "guidance",
    "fps",
    "motion",
    "camera",
    "audio_url",
    "voice",
    "speed",
    "quality",
    "format",
    "mask_url",
    "ref_images",
    "loop",
]


def _vtrix_param(rng: random.Random, name: str, path: str, depth: int) -> dict[str, Any]:
    kind = rng.choice(
        ["string", "string", "integer", "number", "boolean", "array", "object"]
        if depth < 2
        else ["string", "integer", "number", "boolean"]
    )
    p: dict[str, Any] = {
        "name": name,
        "path": path,
        "type": kind,
        "required": rng.random() < 0.2,
        "description": f"The {name} value",
    }
    if kind == "string" and rng.random() < 0.4:
        p["constraints"] = {"enum": rng.sample(["a", "b", "c", "720p", "1080p", "auto"], 3)}
    elif kind == "integer":
        lo = rng.randint(0, 5)
        p["constraints"] = {"min": lo, "max": lo + rng.randint(1, 20), "default": lo}
    elif kind == "number":
        p["constraints"] = {"min": 0, "max": 1.5}
    elif kind in ("object", "array"):
        p["children"] = [
            _vtrix_param(rng, f"f{i}", f"{path}.f{i}", depth + 1) for i in range(rng.randint(1, 3))
        ]
    return p


def _json_schema(rng: random.Random, depth: int) -> dict[str, Any]:
    kind = rng.choice(
        ["string", "string", "integer", "number", "boolean", "array", "object"]
        if depth < 2
        else ["string", "integer", "boolean"]
    )
    s: dict[str, Any] = {"type": kind, "description": "A synthetic field"}
    if kind == "string" and rng.random() < 0.4:
        s["enum"] = ["1:1", "16:9", "9:16", "4:3"][: rng.randint(2, 4)]
    elif kind == "string":
        s["maxLength"] = rng.choice([100, 2000])
    elif kind == "integer":
        s.update(minimum=1, maximum=rng.randint(2, 60))
    elif kind == "array":
        s.update(items={"type": "string"}, maxItems=rng.randint(1, 8))
    elif kind == "object":
        s["properties"] = {f"k{i}": _json_schema(rng, depth + 1) for i in range(2)}
    return s


def write_specs(root: Path, count: int, seed: int = 7) -> None:
    """``count`` models (half per dialect) in the specs/ layout under ``root``."""
    rng = random.Random(seed)
    vcat, mcat = [], []
    for i in range(count):
        names = rng.sample(WORDS, rng.randint(3, 12))
        if i % 2 == 0:
            mid = f"synth_model_{i:04d}"
            vcat.append(
                {
                    "id": mid,
                    "name": f"Synth {i}",
                    "type": "video",
                    "description": f"Synthetic model {i}",
                    "input_modalities": ["text"],
                    "output_modalities": ["video"],
                }
            )
            spec = {
                "model_id": mid,
                "name": f"Synth {i}",
                "vendor": "Bench",
                "type": "video",
                "api": {"endpoint": "https://vtrix.ai/model/v1/generation"},
                "parameters": [_vtrix_param(rng, n, n, 0) for n in names],
            }
            path = root / "vtrix" / f"{mid}.json"
        else:
            slug = f"bench/synth-{i:04d}"
            mcat.append(
                {"slug": slug, "type": "image", "description": f"Synthetic {i}", "docs_url": ""}
            )
            props = {n: _json_schema(rng, 0) for n in names}
            spec = {
                "servers": [{"url": f"https://api.modellix.ai/api/v1/{slug}/async"}],
                "post": {
                    "summary": f"Synth {i}",
                    "description": f"Synthetic {i}",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": props,
                                    "required": names[:1],
                                }
                            }
                        }
                    },
                },
            }
            path = root / "modellix" / f"{slug}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(spec))
    (root / "vtrix.catalog.json").write_text(dumps({"models": vcat}))
    (root / "modellix.catalog.json").write_text(dumps({"models": mcat}))
