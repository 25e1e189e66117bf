"""A newcomer's day (issue 14): one JSON shape on both gateways, JSON that jq can read, specs
that show everything, one behaviour for unknown models, messages that say what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import env_for

ROOT = Path(__file__).resolve().parent.parent
SHAPE = [
    "id",
    "model",
    "provider",
    "status",
    "urls",
    "files",
    "cost",
    "error",
    "created_at",
    "expires_at",
    "idempotency_key",
    "submitted_by",
    "raw",
]
VTRIX_RUN = ["run", "kirin_v3_i2v", "--image-url", "https://example.com/a.jpg"]
MODELLIX_RUN = ["run", "bytedance/seedream-4.5-t2i", "--prompt", "a lighthouse"]


def both(sandbox):
    return {**env_for(sandbox), "MODELLIX_API_KEY": "sk-modellix-key-123"}


@pytest.mark.parametrize(
    "args,provider,remote",
    [(VTRIX_RUN, "vtrix", "completed"), (MODELLIX_RUN, "modellix", "success")],
)
def test_run_task_get_and_wait_print_one_shape(vtrix, sandbox, args, provider, remote):
    env = both(sandbox)
    run = vtrix("-q", *args, "-o", "json", env=env)
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert list(doc) == SHAPE
    assert doc["provider"] == provider and doc["status"] == "succeeded"
    assert doc["urls"] and doc["error"] is None and doc["created_at"].endswith("Z")
    assert doc["raw"]  # the gateway's own answer, under one key
    for cmd in (["task", "get", doc["id"]], ["task", "wait", doc["id"], "-q"]):
        again = json.loads(vtrix(*cmd, "-o", "json", env=env).out)
        assert list(again) == SHAPE and again["id"] == doc["id"]
        assert again["status"] == "succeeded" and again["provider"] == provider
    assert remote in json.dumps(doc["raw"])


@pytest.mark.parametrize("args", [VTRIX_RUN, MODELLIX_RUN])
def test_a_failed_task_prints_the_shape_with_its_error(vtrix, sandbox, args):
    key = "--param" if args is VTRIX_RUN else "--prompt"
    extra = ["--param", "prompt=[fail] now"] if key == "--param" else []
    argv = [*args, *extra] if extra else [*args[:-1], "[fail] now"]
    r = vtrix("-q", *argv, "-o", "json", env=both(sandbox))
    assert r.code == 1
    doc = json.loads(r.out)
    assert list(doc) == SHAPE and doc["status"] == "failed" and doc["id"]
    assert doc["error"]["code"] == "task_failed" and doc["error"]["message"]
    assert "failed" in r.err


def test_model_invoke_wait_and_no_wait_print_the_shape(vtrix, sandbox):
    body = '{"prompt": "a cat"}'
    base = ["model", "invoke", "--model-slug", "bytedance/seedream-4.5-t2i", "--body", body]
    waited = json.loads(vtrix(*base, "--wait", "-o", "json", env=both(sandbox)).out)
    assert list(waited) == SHAPE and waited["status"] == "succeeded"
    submitted = json.loads(vtrix(*base, "-o", "json", env=both(sandbox)).out)
    assert list(submitted) == SHAPE and submitted["status"] in ("queued", "running")


def test_batch_results_carry_the_shape(vtrix, sandbox, tmp_path):
    lines = tmp_path / "in.jsonl"
    lines.write_text(
        json.dumps({"model": "kirin_v3_i2v", "params": {"image_url": "https://e.com/1.jpg"}})
        + "\n"
        + json.dumps({"model": "bytedance/seedream-4.5-t2i", "params": {"prompt": "[fail]"}})
        + "\n"
    )
    r = vtrix("batch", str(lines), "-q", "-o", "json", env=both(sandbox))
    assert r.code == 1
    rows = [json.loads(line) for line in r.out.splitlines()]
    assert [list(row)[:3] for row in rows] == [["line", "key", "outcome"]] * 2
    assert all(list(row)[3:] == SHAPE for row in rows)
    assert rows[0]["status"] == "succeeded" and rows[0]["provider"] == "vtrix"
    assert rows[1]["status"] == "failed" and rows[1]["error"]["code"] == "task_failed"
    assert rows[1]["provider"] == "modellix" and rows[1]["raw"]


@pytest.mark.parametrize("args", [VTRIX_RUN, MODELLIX_RUN])
def test_dry_run_json_is_json_alone(vtrix, args):
    r = vtrix("--dry-run", *args, "-o", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)  # nothing but the JSON on stdout
    assert doc["dry_run"] is True and doc["method"] == "POST" and doc["body"]
    human = vtrix("--dry-run", *args)
    assert human.out.startswith("[dry-run] POST /")


def test_json_output_escapes_control_characters_instead_of_dropping_them(vtrix, sandbox):
    prompt = "cat\u202e\u0085\u2028"
    r = vtrix("--dry-run", *MODELLIX_RUN[:-1], prompt, "-o", "json")
    assert "\\u202e" in r.out and "\\u0085" in r.out and "\u202e" not in r.out
    assert json.loads(r.out)["body"]["prompt"] == prompt


@pytest.mark.parametrize(
    "model,provider,kind",
    [("kirin_v3_i2v", "vtrix", "video"), ("bytedance/seedream-4.5-t2i", "modellix", "image")],
)
def test_models_spec_json_is_normalised_on_both_gateways(vtrix, sandbox, model, provider, kind):
    env = both(sandbox)
    doc = json.loads(vtrix("models", "spec", model, "-o", "json", env=env).out)
    assert [doc[k] for k in ("id", "provider", "type")] == [model, provider, kind]
    assert doc["schema"]["type"] == "object" and "properties" in doc["schema"]
    raw = json.loads(vtrix("models", "spec", model, "--raw", env=env).out)
    assert ("parameters" in raw) if provider == "vtrix" else ("post" in raw)
    human = vtrix("models", "spec", model, env=env).out
    assert f"Type:  {kind}" in human and "unknown" not in human.splitlines()[2]


def test_array_item_fields_show_in_spec_help_and_docs(vtrix):
    spec = vtrix("models", "spec", "spark_dance_v2_0", env={"VTRIX_BASE_URL": "http://127.0.0.1:9"})
    assert "content[].type     string    required" in spec.out
    assert "(required in each item of content)" in spec.out
    help_text = vtrix("run", "spark_dance_v2_0", "--help").out
    assert "type (string, required), text (string)" in " ".join(help_text.split())
    doc = (ROOT / "docs/models/spark_dance_v2_0.md").read_text()
    assert "| `content[].type` | — | string | yes, in each item of `content` |" in doc


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "kirin_v3_2iv"],
        ["models", "spec", "kirin_v3_2iv"],
        ["model", "invoke", "--model-slug", "kirin_v3_2iv", "--body", "{}"],
    ],
)
def test_an_unknown_model_is_one_behaviour_with_close_matches(vtrix, sandbox, argv):
    r = vtrix(*argv, env=both(sandbox))
    assert r.code == 2
    assert "unknown model 'kirin_v3_2iv'" in r.err and "kirin_v3_i2v" in r.err
    assert "Did you mean" in r.err and "Traceback" not in r.err


def test_a_missing_vendor_prefix_is_suggested(vtrix, sandbox):
    r = vtrix("models", "spec", "seedream-4.5-t2i", env=both(sandbox))
    assert r.code == 2 and "Did you mean: bytedance/seedream-4.5-t2i?" in r.err


def test_type_filter_is_case_insensitive(vtrix):
    ids = vtrix("models", "list", "--offline", "--type", "VIDEO", "-o", "id").out.split()
    assert "kirin_v3_i2v" in ids and len(ids) > 10


def test_typed_options_on_a_model_without_a_spec_say_so(vtrix, hostile):
    from hostile import Reply

    hostile.on("GET", r"/models/alibaba/ai-try-on/api_schema", Reply(404, json={"code": 404}))
    env = {"MODELLIX_BASE_URL": hostile.url, "MODELLIX_API_KEY": "sk-modellix-key-123"}
    r = vtrix("--dry-run", "run", "alibaba/ai-try-on", "--person-image", "x", env=env)
    assert r.code == 2
    assert "publishes no parameter spec" in r.err and "--param person_image=VALUE" in r.err
    assert "Did you mean '--param'" not in r.err


def test_empty_stdin_for_body_file_says_so(vtrix):
    r = vtrix("--dry-run", "run", "kirin_v3_i2v", "--body-file", "-", input="")
    assert r.code == 2 and "stdin was empty" in r.err and "Expecting value" not in r.err


def test_help_carries_no_provenance_notes():
    for path in (ROOT / "src/vtrix/models/_specs").glob("*.json"):
        text = path.read_text()
        assert "agent-canvas" not in text and "verify against" not in text, path
    notes = json.loads((ROOT / "specs/provenance.json").read_text())
    captured = notes["modellix/openai/gpt-image-1.5-edit"]["descriptions_as_captured"]
    assert "agent-canvas" in captured["input_fidelity"]


def test_auth_status_lists_profiles_and_an_unknown_profile_is_named(vtrix):
    assert (
        vtrix("auth", "login", "--profile", "work", "--with-token", input="sk-work-key-1\n").code
        == 0
    )
    status = vtrix("auth", "status").out
    assert "Profiles:  work" in status
    r = vtrix("--profile", "nope", "auth", "status")
    assert r.code == 2 and "no profile named 'nope' (profiles: work)" in r.err


def test_completion_of_model_slug_and_task_ids(vtrix, sandbox):
    env = both(sandbox)
    doc = json.loads(vtrix("-q", *VTRIX_RUN, "-o", "json", env=env).out)
    task_words = {
        "_VTRIX_COMPLETE": "bash_complete",
        "COMP_WORDS": "vtrix task get task_",
        "COMP_CWORD": "3",
    }
    tasks = vtrix(env={**env, **task_words}).out
    assert f"plain,{doc['id']}" in tasks.splitlines()
    slug_words = {
        "_VTRIX_COMPLETE": "bash_complete",
        "COMP_WORDS": "vtrix model invoke --model-slug bytedance/seedream-4.5",
        "COMP_CWORD": "4",
    }
    slugs = vtrix(env=slug_words).out.splitlines()
    assert "plain,bytedance/seedream-4.5-t2i" in slugs


def test_constraint_wording_for_single_counts_and_single_values():
    from vtrix.spec.describe import describe_expected

    assert describe_expected({"type": "array", "minItems": 1, "maxItems": 1}) == (
        "an array of exactly 1 item"
    )
    assert describe_expected({"type": "string", "enum": ["intelligence"]}) == (
        "intelligence (the only value allowed)"
    )


def test_generated_docs_keep_defaults_and_required_in_their_own_columns():
    doc = (ROOT / "docs/models/kirin_v3_i2v.md").read_text()
    row = next(line for line in doc.splitlines() if line.startswith("| `resolution`"))
    import re

    cells = [c.strip() for c in re.split(r"(?<!\\)\|", row.strip("|"))]
    assert cells[2:] == ["string: 480p \\| 720p \\| 1080p", "no", "720p", "Output resolution"]
    assert "\\_" not in row and "[default" not in row
