"""Specs as the gateways serve them today: the live spec looked at before a submit or a dry
run (cheaply, within a bound, never twice in a row against a silent service), the harvested
specs typed, every leniency of the spec reader said out loud, and a spec's text for agents."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import env_for

from vtrix.sandbox.state import Faults

ROOT = Path(__file__).resolve().parent.parent
SEED_DRY_RUN = (
    "[dry-run] POST /model/v1/generation\n"
    + json.dumps(
        {
            "model": "kirin_v3_i2v",
            "params": {
                "image_url": "https://example.com/landscape.jpg",
                "prompt": "gentle wind, grass swaying slowly",
                "duration": 6,
                "resolution": "1080p",
            },
        },
        indent=2,
    )
    + "\n"
)
SEED_ARGS = [
    "--dry-run",
    "run",
    "kirin_v3_i2v",
    "--param",
    "image_url=https://example.com/landscape.jpg",
    "--param",
    "prompt=gentle wind, grass swaying slowly",
    "--param",
    "duration=6",
    "--param",
    "resolution=1080p",
]


# ------------------------------------------------------------------- the live spec


def test_a_drifted_live_spec_decides_a_fresh_homes_dry_run(vtrix: Any, make_sandbox: Any) -> None:
    """No `models spec` first: the dry run looks at the live spec itself."""
    sb = make_sandbox(faults=Faults(spec_drift=True))
    r = vtrix("--dry-run", "run", "kirin_v3_i2v", "--param", "image=https://e.com/a.jpg")
    assert r.code == 2  # no gateway reachable (no base URL): the built-in spec refuses it
    r = vtrix(
        "--dry-run", "run", "kirin_v3_i2v", "--param", "image=https://e.com/a.jpg", env=env_for(sb)
    )
    assert r.code == 0, r.err
    body = json.loads(r.out.split("\n", 1)[1])
    assert body["params"] == {"image": "https://e.com/a.jpg"}
    assert r.err.count("differs from the one built into this vtrix") == 1
    again = vtrix(
        "--dry-run", "run", "kirin_v3_i2v", "--param", "image=https://e.com/b.jpg", env=env_for(sb)
    )
    assert again.code == 0, again.err
    assert sb.stats()["tasks_created"] == 0


def test_the_live_spec_is_looked_at_once_in_a_while_with_its_validators(
    vtrix: Any, make_sandbox: Any, home: Path
) -> None:
    import os
    import time

    from vtrix.base.constants import LIVE_SPEC_TTL

    sb = make_sandbox()
    for _ in range(2):
        assert vtrix(*SEED_ARGS, env=env_for(sb)).code == 0
    assert sb.stats()["routes"].get("vtrix.spec") == 1  # the second run used the first look
    state = home / "cache" / "specs" / "vtrix" / "kirin_v3_i2v.check.json"
    kept = json.loads(state.read_text())
    assert kept["ok"] and kept["validators"]  # an ETag or Last-Modified to revalidate with
    then = time.time() - LIVE_SPEC_TTL - 1  # the look is older than its time to live
    state.write_text(json.dumps({**kept, "at": then}))
    os.utime(state, (then, then))
    assert vtrix(*SEED_ARGS, env=env_for(sb)).code == 0
    assert sb.stats()["routes"].get("vtrix.spec") == 2


class SilentService:
    """Accepts connections and never answers (a service that hangs)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = 0
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent() -> Iterator[SilentService]:
    service = SilentService()
    yield service
    service.close()


@pytest.mark.real_time  # the socket's bound is real seconds
def test_a_silent_models_service_leaves_the_seed_dry_run_exact(
    vtrix: Any, silent: SilentService
) -> None:
    r = vtrix(*SEED_ARGS, env={"VTRIX_BASE_URL": silent.url})
    assert r.code == 0, r.err
    assert r.out == SEED_DRY_RUN
    assert silent.accepted == 1  # one look, bounded
    again = vtrix(*SEED_ARGS, env={"VTRIX_BASE_URL": silent.url})
    assert again.out == SEED_DRY_RUN
    assert silent.accepted == 1  # not asked again: a silent service costs the bound once
    other = ["--dry-run", "run", "spark_dance_v2_0", "--prompt", "neon city"]
    assert vtrix(*other, env={"VTRIX_BASE_URL": silent.url}).code == 0
    assert silent.accepted == 1  # nor about another model


def test_a_failing_models_service_is_asked_once_and_the_built_in_spec_stands(
    vtrix: Any, hostile: Any
) -> None:
    from hostile import Reply

    hostile.on("GET", r"/api/v1/skill/models/.*", Reply(503, json={"message": "busy"}))
    r = vtrix(*SEED_ARGS, env={"VTRIX_BASE_URL": hostile.url})
    assert r.code == 0 and r.out == SEED_DRY_RUN, r.err
    assert hostile.count("GET") == 1  # a glance: one attempt, no retries


def test_prepare_alone_never_looks(home: Path, silent: SilentService) -> None:
    from vtrix import Client

    client = Client(base_url=silent.url, ledger=False)
    client.prepare("kirin_v3_i2v", {"image_url": "https://e.com/a.jpg"})
    assert silent.accepted == 0


# ------------------------------------------------------------------ harvested specs


def test_at_least_90_models_are_typed_and_the_harvested_ones_have_options(vtrix: Any) -> None:
    rows = json.loads(vtrix("models", "list", "--offline", "-o", "json").out)
    typed = {row["id"] for row in rows if row["typed"]}
    assert len(typed) >= 90
    harvested = {"kirin_v1_t2v", "spark_dream_4_5", "kling/kling-v2.1-t2i", "alibaba/wan2.6-image"}
    assert harvested <= typed
    partial = vtrix("run", "kirin_v1_t2v", "--help").out
    assert "--duration [5|10]" in partial and "--aspect-ratio" in partial
    assert "Partial spec" in partial  # the page was cut off: other fields may exist
    whole = vtrix("run", "kling/kling-v2.1-t2i", "--help").out
    assert "--prompt" in whole and "Partial spec" not in whole
    assert "doc.vtrix.ai" not in partial + whole  # provenance stays in specs/provenance.json


def test_a_partial_spec_takes_more_fields_and_a_whole_one_refuses_them(vtrix: Any) -> None:
    partial = vtrix("--dry-run", "run", "kirin_v1_t2v", "--prompt", "a cat", "--param", "x=1")
    assert partial.code == 0 and "not in the published spec" in partial.err
    whole = vtrix("--dry-run", "run", "kling/kling-v2.1-t2i", "--prompt", "a", "--param", "x=1")
    assert whole.code == 2 and "x" in whole.err


def test_provenance_and_the_corrected_default() -> None:
    provenance = json.loads((ROOT / "specs" / "provenance.json").read_text())
    entry = provenance["vtrix/kirin_v1_t2v"]
    assert entry["harvested"] and entry["complete"] is False and entry["parameters"]
    raw = json.loads((ROOT / "specs/modellix/kling/kling-image-o1.json").read_text())
    schema = raw["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["resolution"]["default"] == "1k"
    assert provenance["modellix/kling/kling-image-o1"]["corrected"]


def test_a_harvested_entry_reads_as_its_gateway_would_serve_it() -> None:
    """A docs-page entry (written here, in the harvest's shape) becomes a vtrix parameter
    list the one normaliser reads: nested objects and arrays of objects as children, a
    "one value or a list" as the list, constraints kept, a cut-off page left open."""
    from codegen.harvest import provenance, vtrix_spec
    from vtrix.wire.vtrix.dialect import normalise_vtrix

    entry = {
        "gateway": "vtrix",
        "model_id": "made_up_t2v",
        "complete": False,
        "sources": ["https://docs.example/made-up"],
        "confidence": "gateway",
        "parameters": {
            "type": "object",
            "required": ["prompt"],
            "properties": {
                "prompt": {"type": "string", "maxLength": 100},
                "duration": {"type": "string", "enum": ["5", "10"], "default": "5"},
                "image": {
                    "description": "One or more images",
                    "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                },
                "frames": {
                    "type": "array",
                    "maxItems": 2,
                    "items": {"type": "object", "properties": {"url": {"type": "string"}}},
                },
            },
        },
    }
    catalog = {"name": "Made Up", "vendor": "X", "type": "video"}
    spec = normalise_vtrix(json.loads(vtrix_spec(entry, catalog, "https://vtrix.ai/g")))
    props = spec.schema["properties"]
    assert spec.schema["required"] == ["prompt"] and props["prompt"]["maxLength"] == 100
    assert props["duration"]["enum"] == ["5", "10"] and props["duration"]["default"] == "5"
    assert props["image"]["type"] == "array" and props["image"]["items"] == {"type": "string"}
    assert props["frames"]["items"]["properties"]["url"]["type"] == "string"
    assert spec.schema["additionalProperties"] is True  # the page was cut off
    kept = provenance(entry)
    assert kept["parameters"] == entry["sources"] and kept["complete"] is False
    assert "docs.example" not in json.dumps(spec.to_dict())  # provenance stays out of it


# ------------------------------------------------------------- the lenient reader


@pytest.mark.parametrize(
    ("prop", "said"),
    [
        ({"type": "string", "enum": [1, "x"]}, "read as strings"),
        ({"type": "integer", "default": "abc"}, "is not an integer; ignored"),
        ({"type": "integer", "default": "5"}, "default '5' read as 5"),
        ({"type": "string", "default": 3}, "default 3 read as '3'"),
        ({"type": "string", "enum": ["x", "y"], "default": "z"}, "not one of the enum's values"),
        ({"type": "boolean", "default": "true"}, "read as True"),
        ({"type": "string", "minimum": 3}, "does not apply to a string"),
        ({"type": "string", "frobnicate": 1}, "unsupported schema keyword"),
    ],
)
def test_every_leniency_is_a_warning_naming_file_and_field(prop: dict, said: str) -> None:
    from vtrix.spec.clean import clean_schema

    warnings: list[str] = []
    schema = {"type": "object", "properties": {"field_a": prop}}
    clean_schema(schema, "specs/modellix/x/y.json", "$", warnings)
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("specs/modellix/x/y.json: $.properties.field_a")
    assert said in warnings[0]


def test_generate_prints_each_warning_naming_file_and_field(tmp_path: Path, capsys: Any) -> None:
    import shutil

    from codegen.__main__ import main

    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    path = specs / "vtrix" / "kirin_v3_i2v.json"
    data = json.loads(path.read_text())
    for param in data["parameters"]:
        if param["name"] == "resolution":
            param["constraints"]["enum"] = [1, "720p", "1080p"]
    path.write_text(json.dumps(data))
    args = ["generate", "--specs", str(specs), "--root", str(tmp_path / "out"), "--jobs", "1"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"warning: {path}: $.parameters[3].enum: values [1, '720p', '1080p']" in err
    assert "(parameter resolution)" in err


# ----------------------------------------------------------------- text for agents


def test_the_agent_text_names_values_ranges_and_defaults(vtrix: Any) -> None:
    offline = {"VTRIX_MODELS_URL": "http://127.0.0.1:9"}
    r = vtrix("models", "spec", "kirin_v3_i2v", "--agent", env=offline)
    assert r.code == 0, r.err
    assert "one of 480p|720p|1080p" in r.out and "3-10" in r.out and "default 5" in r.out
    assert "image_url (string, required)" in r.out
    assert r.out.count("Kirin V3 I2V") == 1  # the name once, not again as its summary


def test_mcp_spec_of_a_model_without_one_says_what_the_catalog_knows(
    home: Path, sandbox: Any
) -> None:
    import asyncio

    from vtrix.mcp.tools import Tools

    async def spec() -> Any:
        from vtrix import AsyncClient

        async with AsyncClient(base_url=sandbox.url, ledger=False) as client:
            return await Tools(client, root=home).get_model_spec("alibaba/qwen-image-edit")

    failed, out = asyncio.run(spec())
    assert not failed, out
    assert out["type"] == "image" and out["checked"] is False
    assert "not published" in out["agent_prompt"]
