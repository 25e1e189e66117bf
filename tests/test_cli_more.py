"""More of the CLI: catalog listing, completion, profiles, retries under faults, debug."""

from __future__ import annotations

import json

from conftest import CANARY, env_for

from vtrix import __version__

RUN = ["run", "kirin_v3_i2v", "--param", "image_url=https://example.com/a.jpg"]


def test_models_list_live_with_filters(vtrix, sandbox):
    env = env_for(sandbox)
    ids = vtrix("models", "list", "--output", "id", env=env).out.split()
    assert len(ids) == 60 + 245 and "kirin_v3_i2v" in ids and "alibaba/qwen-image-edit" in ids
    # One catalog: live and offline agree when the gateway serves the snapshot (issue 19).
    offline = vtrix("models", "list", "--offline", "--output", "id", env=env).out.split()
    assert sorted(offline) == sorted(ids)
    video = json.loads(
        vtrix(
            "models", "list", "--type", "video", "--provider", "vtrix", "--output", "json", env=env
        ).out
    )
    assert len(video) == 45 and {m["type"] for m in video} == {"video"}
    assert all(m["source"] == "live" for m in video)
    table = vtrix("models", "list", "--search", "seedream", env=env).out
    assert table.startswith("MODEL") and "bytedance/seedream-4.5-t2i" in table


def test_models_list_offline_uses_the_generated_index(vtrix):
    r = vtrix(
        "models",
        "list",
        "--output",
        "id",
        "--provider",
        "modellix",
        env={"MODELLIX_BASE_URL": "http://127.0.0.1:9"},
    )
    assert r.code == 0 and "generated index" in r.err
    assert len(r.out.split()) == 245


def test_shell_completion_offers_model_ids_and_enum_values(vtrix):
    env = {"_VTRIX_COMPLETE": "bash_complete", "COMP_WORDS": "vtrix run kirin_v", "COMP_CWORD": "2"}
    out = vtrix(env=env).out
    assert "kirin_v3_i2v" in out and "kirin_v2_6_i2v" in out
    # Every matching catalog model, typed or not (issue 19): kirin_v1_i2v has no spec.
    assert "plain,kirin_v1_i2v" in out.splitlines()
    env = {
        "_VTRIX_COMPLETE": "bash_complete",
        "COMP_WORDS": "vtrix run kirin_v3_i2v --resolution ",
        "COMP_CWORD": "4",
    }
    out = vtrix(env=env).out
    assert "480p" in out and "1080p" in out


def test_typed_options_and_param_agree(vtrix):
    a = vtrix(
        "--dry-run",
        "run",
        "kirin_v3_i2v",
        "--image-url",
        "https://e.com/u.jpg",
        "--duration",
        "6",
        "--resolution",
        "720p",
    )
    b = vtrix(
        "--dry-run",
        "run",
        "kirin_v3_i2v",
        "--param",
        "image_url=https://e.com/u.jpg",
        "--param",
        "duration=6",
        "--param",
        "resolution=720p",
    )
    assert a.code == b.code == 0
    assert json.loads(a.out.split("\n", 1)[1]) == json.loads(b.out.split("\n", 1)[1])
    both = vtrix(
        "--dry-run",
        "run",
        "kirin_v3_i2v",
        "--image-url",
        "https://e.com/u.jpg",
        "--param",
        "image_url=https://e.com/v.jpg",
    )
    assert both.code == 2 and "image_url: given twice" in both.err


def test_body_file_from_stdin_extended_by_options(vtrix):
    r = vtrix(
        "--dry-run",
        "run",
        "kirin_v3_i2v",
        "--body-file",
        "-",
        "--duration",
        "4",
        input='{"image_url": "https://e.com/u.jpg", "duration": 9}',
    )
    assert r.code == 0, r.err
    assert json.loads(r.out.split("\n", 1)[1])["params"] == {
        "image_url": "https://e.com/u.jpg",
        "duration": 4,
    }


def test_debug_shows_redacted_headers(vtrix, sandbox):
    r = vtrix("--debug", "--dry-run", *RUN, env=env_for(sandbox))
    assert "Authorization: Bearer ***" in r.out and CANARY not in r.out
    assert "X-Source: cli" in r.out and f"User-Agent: vtrix-python/{__version__}" in r.out


def test_reads_survive_injected_5xx(vtrix, sandbox):
    sandbox.faults(vtrix_task={"unavailable_rate": 0.5, "seed": 3})
    r = vtrix(*RUN, "--output", "url", env=env_for(sandbox))
    assert r.code == 0, r.err
    assert sandbox.stats()["tasks_created"] == 1


def test_profiles_select_keys(vtrix, sandbox):
    vtrix("auth", "login", "--with-token", "--profile", "work", input="sk-work-key-123456789\n")
    status = vtrix("--profile", "work", "auth", "status").out
    assert "Profile:   work" in status and "from profile 'work'" in status
    r = vtrix("--profile", "work", *RUN, "--no-wait", env=env_for(sandbox, key=None))
    assert r.code == 0, r.err
    env_profile = vtrix("auth", "status", env={"VTRIX_PROFILE": "work"}).out
    assert "Profile:   work" in env_profile
    assert vtrix("--profile", "nope", *RUN, env=env_for(sandbox, key=None)).code == 2
    assert "Removed profile 'work'" in vtrix("auth", "logout", "--profile", "work").out


def test_not_generated_model_gets_a_live_command(vtrix, sandbox, tmp_path):
    """A model the index does not know: its spec is fetched, checked the same way."""
    import shutil
    from pathlib import Path

    specs = tmp_path / "specs"
    shutil.copytree(Path(__file__).resolve().parent.parent / "specs", specs)
    spec = json.loads((specs / "vtrix" / "kirin_v3_i2v.json").read_text())
    spec["model_id"] = "brand_new_model"
    (specs / "vtrix" / "brand_new_model.json").write_text(json.dumps(spec))
    from conftest import Sandbox, start_sandbox

    sb = Sandbox(start_sandbox(specs_dir=str(specs)))
    try:
        env = env_for(sb)
        bad = vtrix("run", "brand_new_model", "--param", "duration=1", env=env)
        assert bad.code == 2 and "duration: expected an integer in range 3–10" in bad.err
        help_text = vtrix("run", "brand_new_model", "--help", env=env).out
        assert "--resolution [480p|720p|1080p]" in help_text and "fetched live" in help_text
        unknown = vtrix("run", "no_such_model", env=env)
        assert unknown.code == 2 and "unknown model 'no_such_model'" in unknown.err
    finally:
        sb.running.stop()


def test_submits_carry_a_fresh_idempotency_key_and_only_given_values(vtrix, sandbox):
    for _ in range(2):
        assert vtrix(*RUN, "--no-wait", env=env_for(sandbox)).code == 0
    times = sandbox.stats()["task_times"]
    keys = {t["idempotency_key"] for t in times.values()}
    assert len(keys) == 2 and all(len(k) >= 32 for k in keys)
    assert [t["params"] for t in times.values()] == [{"image_url": "https://example.com/a.jpg"}] * 2
