"""What the gateways' official clients show (issue 24): each item against the sandbox in the
mode that plays what the official client implies, or a hostile gateway, or — where no
server can show it — a unit test."""

from __future__ import annotations

import json
import time

import pytest
from conftest import CANARY, env_for
from hostile import Reply, modellix_task, vtrix_task

from vtrix.errors import BadAnswer
from vtrix.spec.normalise import ModelSpec
from vtrix.store.config import Settings
from vtrix.wire.modellix.adapter import ModellixProvider
from vtrix.wire.progress import ProgressScale
from vtrix.wire.vtrix.adapter import VtrixProvider
from vtrix.wire.vtrix.dialect import normalise_vtrix

RUN = ["run", "kirin_v3_i2v", "--param", "image_url=https://example.com/a.jpg"]
SLUG = "bytedance/seedream-4.5-t2i"
MRUN = ["run", SLUG, "--prompt", "a cat"]


def _only(env: dict[str, str], *drop: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in drop}


# ------------------------------------------------------------------- day-one failures


def test_1_the_default_models_url_is_the_vtrix_1_0_host():
    s = Settings.resolve(env={})
    assert s.models_url == "https://cloud-model-spec.vtrix.ai"
    assert "seacloud" not in s.models_url and "seaart" not in s.models_url


def test_2_a_spec_in_the_official_clients_dialect_is_read_with_warnings():
    raw = {
        "model_id": "loose",
        "api": {"endpoint": "https://gateway.vtrix.ai/model/v1/generation"},
        "parameters": [
            {"name": "n", "type": "integer", "constraints": {"enum": ["1", "2"], "default": "1"}},
            {"name": "hd", "type": "boolean", "constraints": {"enum": ["true", "false"]}},
            {"name": "tags", "type": "array[string]"},
            {
                "name": "content",
                "type": "array[object]",
                "children": [{"name": "text", "path": "content.text", "type": "string"}],
            },
            {"name": "seed", "type": "long", "constraints": {"step": 1}},
            {"name": "prompt", "type": "string", "constraints": {"min": 1, "max": 2000}},
        ],
    }
    spec = normalise_vtrix(raw, source="vtrix spec of loose")
    props = spec.schema["properties"]
    assert props["n"] == {"type": "integer", "enum": [1, 2], "default": 1}
    assert props["hd"]["enum"] == [True, False]
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["content"]["items"]["properties"]["text"] == {"type": "string"}
    assert props["seed"] == {"type": "string"}
    assert props["prompt"] == {"type": "string"}
    text = "\n".join(spec.warnings)
    for where in ("[4].type", "[4].constraints.step", "[5].constraints.min", "[0].enum"):
        assert where in text, text
    assert all(w.startswith("vtrix spec of loose: ") for w in spec.warnings)


def test_2_a_spec_that_could_steer_codegen_is_still_refused():
    from vtrix.spec.clean import SpecError

    raw = {
        "model_id": "bad",
        "api": {"endpoint": "https://gateway.vtrix.ai/x"},
        "parameters": [{"name": "a", "type": "string", "constraints": {}, "children": 5}],
    }
    with pytest.raises(SpecError):
        normalise_vtrix(raw)
    with pytest.raises(SpecError):
        normalise_vtrix({**raw, "model_id": "../etc"})


def test_2_the_cli_reads_live_specs_in_the_official_dialect(vtrix, make_sandbox):
    from vtrix.sandbox.state import Faults

    sb = make_sandbox(faults=Faults(spec_dialect="official"))
    env = env_for(sb)
    spec = json.loads(vtrix("models", "spec", "kirin_v3_i2v", "-o", "json", env=env).out)
    assert spec["source"] == "live"
    assert spec["schema"]["properties"]["duration"]["default"] == 5  # "5" read as a number
    raw = json.loads(vtrix("models", "spec", "kirin_v3_i2v", "--raw", env=env).out)
    assert raw["parameters"][4]["constraints"]["default"] == "5"  # as served


def test_3_modellix_submits_go_to_the_path_without_async(vtrix, make_sandbox):
    from vtrix.sandbox.state import Faults

    sb = make_sandbox(faults=Faults(modellix_async="new"))
    r = vtrix(*MRUN, "-o", "url", env=env_for(sb))
    assert r.code == 0, r.err
    dry = vtrix("--dry-run", *MRUN, "-o", "json", env=env_for(sb))
    assert json.loads(dry.out)["url"].endswith(f"/api/v1/{SLUG}")


def test_3_a_cached_spec_naming_async_still_posts_without_it():
    prov = ModellixProvider(Settings.resolve(env={}))
    spec = ModelSpec(
        SLUG, "modellix", SLUG, "image", f"https://api.modellix.ai/api/v1/{SLUG}/async", ""
    )
    assert prov.submit_url(spec) == f"https://api.modellix.ai/api/v1/{SLUG}"


def test_4_no_key_crosses_gateways(vtrix, hostile):
    env = {"VTRIX_BASE_URL": hostile.url, "MODELLIX_BASE_URL": hostile.url}
    r = vtrix(*MRUN, env={**env, "VTRIX_API_KEY": CANARY})
    assert r.code == 2 and "MODELLIX_API_KEY" in r.err
    hostile.on("GET", r"/api/v1/tasks/.*", Reply(json=modellix_task("task-1")))
    hostile.on("GET", r"/model/v1/generation/task/.*", Reply(404, json={"message": "no"}))
    vtrix("task", "get", "task-1", env={**env, "VTRIX_API_KEY": CANARY})
    assert hostile.count("GET", r"/api/v1/tasks/.*") == 0  # Modellix never asked with it
    assert all(CANARY not in json.dumps(r.headers) for r in hostile.received if "/api/" in r.path)
    s = Settings.resolve(env={"VTRIX_API_KEY": CANARY})
    assert s.key_for("modellix") is None
    s = Settings.resolve(env={"MODELLIX_API_KEY": CANARY})
    assert s.key_for("vtrix") is None
    s = Settings.resolve(api_key=CANARY, env={})  # an explicit --api-key: whichever is asked
    assert s.key_for("vtrix") is not None and s.key_for("modellix") is not None


def test_5_a_base_url_moves_only_its_own_host():
    s = Settings.resolve(env={"MODELLIX_BASE_URL": "https://api.modellix.ai"})
    assert s.modellix_url == "https://api.modellix.ai"
    assert s.modellix_schema_url == "https://www.modellix.ai"
    s = Settings.resolve(env={"VTRIX_BASE_URL": "https://gateway.vtrix.ai"})
    assert s.generation_url == "https://gateway.vtrix.ai"
    assert s.models_url == "https://cloud-model-spec.vtrix.ai"
    s = Settings.resolve(base_url="https://eu.gateway.vtrix.ai", env={})
    assert s.models_url == "https://cloud-model-spec.vtrix.ai"
    assert s.modellix_schema_url == "https://www.modellix.ai"
    loop = "http://127.0.0.1:8000"
    s = Settings.resolve(env={"VTRIX_BASE_URL": loop, "MODELLIX_BASE_URL": loop})
    assert {s.models_url, s.generation_url, s.modellix_url, s.modellix_schema_url} == {loop}


def _vtrix_spec(endpoint: str) -> ModelSpec:
    return ModelSpec("m", "vtrix", "m", "video", endpoint, "")


def test_6_spec_endpoints_on_the_gateways_own_hosts_are_used_as_served():
    prov = VtrixProvider(Settings.resolve(env={}))
    url = "https://gateway.vtrix.ai/model/v1/generation"
    assert prov.submit_url(_vtrix_spec(url)) == url
    assert prov.task_url("task_1", url) == f"{url}/task/task_1"  # polls follow the host
    for bad in (
        "https://evil.example/model/v1/generation",
        "http://gateway.vtrix.ai/model/v1/generation",
        "https://vtrix.ai.evil.example/model/v1/generation",
        "https://user@gateway.vtrix.ai/model/v1/generation",
        "https://api.modellix.ai/model/v1/generation",  # another gateway's host: no vtrix key
    ):
        with pytest.raises(BadAnswer, match="nothing was sent"):
            prov.submit_url(_vtrix_spec(bad))
    mine = VtrixProvider(Settings.resolve(env={"VTRIX_BASE_URL": "http://127.0.0.1:9"}))
    assert mine.submit_url(_vtrix_spec(url)) == "http://127.0.0.1:9/model/v1/generation"
    assert mine.task_url("t", url) == "http://127.0.0.1:9/model/v1/generation/task/t"


# ---------------------------------------------------------------------------- money


def test_7_the_sandbox_does_not_honour_idempotency_keys_by_default(
    vtrix, sandbox, make_sandbox, tmp_path
):
    from vtrix.sandbox.state import Faults

    key = ["--idempotency-key", "fixed-key-1", "--no-wait"]
    # Two machines (two ledgers) send the same key: a gateway that ignores it makes two tasks.
    for data in ("d1", "d2"):
        env = {**env_for(sandbox), "VTRIX_DATA_DIR": str(tmp_path / data)}
        assert vtrix(*RUN, *key, env=env).code == 0
    assert sandbox.stats()["tasks_created"] == 2
    honest = make_sandbox(faults=Faults(honour_idempotency=True))
    for data in ("e1", "e2"):
        vtrix(*RUN, *key, env={**env_for(honest), "VTRIX_DATA_DIR": str(tmp_path / data)})
    assert honest.stats()["tasks_created"] == 1


def test_8_a_429_on_a_paid_submit_is_never_resent(vtrix, make_sandbox):
    from vtrix.sandbox.state import Faults

    sb = make_sandbox(faults=Faults(submit_429=True))
    for cmd in (RUN, MRUN):
        r = vtrix(*cmd, env=env_for(sb))
        assert r.code == 75, r.err
        assert "does not resend a paid submit" in r.err and "retry in 1s" in r.err
        assert "task list" in r.err
    assert sb.stats()["tasks_created"] == 2  # one per command: each sent once


def test_9_a_2xx_with_an_error_and_no_id_is_a_rejected_submit(vtrix, hostile):
    hostile.on("POST", "/model/v1/generation", Reply(json={"error": "prompt too long"}))
    r = vtrix(*RUN, env=env_for(hostile))
    assert r.code == 1, r.err
    assert "refused it: prompt too long" in r.err and "outcome" not in r.err


# -------------------------------------------------------------- waiting and results


def test_10_progress_scale_is_decided_per_task():
    fraction = ProgressScale()
    assert [fraction.percent(v) for v in (0, 0.25, 0.5, 1.0, 1)] == [0, 25, 50, 100, 100]
    percent = ProgressScale()
    assert [percent.percent(v) for v in (0, 1, 42, 0.5, 100)] == [0, 1, 42, 0.5, 100]
    assert ProgressScale().percent(1.0) == 100.0 and ProgressScale().percent(1) == 1.0


def test_10_fraction_progress_reaches_percent_and_a_sane_eta(make_sandbox, home):
    from vtrix import Client
    from vtrix.sandbox.state import Faults

    sb = make_sandbox(task_seconds=1.5, faults=Faults(progress_scale="fraction"))
    seen: list[tuple[float | None, float | None]] = []
    client = Client(settings=Settings.resolve(env=env_for(sb)))
    client.run(
        "kirin_v3_i2v",
        image_url="https://example.com/a.jpg",
        on_progress=lambda s, left: seen.append((s.progress, left)),
    )
    shown = [p for p, _ in seen if p is not None]
    assert shown and max(shown) == 100 and any(5 < p < 100 for p in shown), seen
    etas = [left for _, left in seen if left is not None]
    assert all(e < 5 for e in etas), etas  # not ~100x too long


def test_11_unknown_status_words_keep_the_wait_going(vtrix, make_sandbox):
    from vtrix.sandbox.state import Faults

    for words in ("unknown", "alternate"):
        sb = make_sandbox(task_seconds=1.0, faults=Faults(status_words=words))
        for cmd in (RUN, MRUN):
            r = vtrix(*cmd, "-o", "url", env=env_for(sb))
            assert r.code == 0, (words, r.err)
            assert r.out.strip().startswith("http")


def test_12_a_task_store_that_lags_is_waited_out_after_a_submit(vtrix, make_sandbox):
    from vtrix.sandbox.state import Faults

    sb = make_sandbox(task_seconds=0.3, faults=Faults(visible_after=1.5))
    r = vtrix(*RUN, "--poll-interval", "0.2", "-o", "url", env=env_for(sb))
    assert r.code == 0, r.err
    missing = vtrix("task", "get", "task_nosuchtask", "--provider", "vtrix", env=env_for(sb))
    assert missing.code == 1 and "HTTP 404" in missing.err  # no grace without a submit


@pytest.mark.parametrize("items", ["object", "string", "url", "top"])
def test_13_modellix_result_items_in_every_shape(vtrix, make_sandbox, items):
    from vtrix.sandbox.state import Faults

    sb = make_sandbox(faults=Faults(result_items=items))
    r = vtrix(*MRUN, "-o", "url", env=env_for(sb))
    assert r.code == 0, r.err
    assert r.out.strip().startswith(sb.url + "/files/")


def test_13_result_expiry_is_kept_and_shown(vtrix, make_sandbox, home):
    from vtrix.store.ledger import Ledger

    sb = make_sandbox(url_ttl=-5.0)  # expired as soon as it is made
    r = vtrix(*MRUN, "-o", "json", env=env_for(sb))
    task_id = json.loads(r.out)["id"]
    entry = Ledger(home / "data" / "ledger.sqlite3").by_task(task_id)
    assert entry is not None and entry.expires_at is not None
    assert abs(entry.expires_at - time.time()) < 60  # ms read as seconds
    shown = vtrix("task", "get", task_id, env=env_for(sb))
    assert "Expired:" in shown.out and "no longer work" in shown.out
    saved = vtrix("task", "get", task_id, "--save", str(home / "out"), env=env_for(sb))
    assert saved.code == 1 and "expired at" in saved.err


def test_13_modellix_answers_the_official_client_reads():
    prov = ModellixProvider(Settings.resolve(env={}))
    state = prov.parse_task(
        {
            "code": 0,
            "data": {
                "task_id": "t-1",
                "status": "failed",
                "created_at": 1_763_779_200_000,
                "fail_reason": "NSFW content",
            },
        },
        "t-1",
    )
    assert state.created_at == 1_763_779_200.0
    assert state.error == "NSFW content"


def test_13_a_catalog_answer_without_its_list_is_an_error(vtrix, hostile):
    env = {"MODELLIX_BASE_URL": hostile.url, "MODELLIX_API_KEY": "k"}
    hostile.on("GET", r"/api/v1/models.*", Reply(json={"code": 0, "data": {"total": 3}}))
    r = vtrix("models", "list", "--provider", "modellix", env=env)
    # Never an empty catalog: the answer is named as unusable and the index is shown.
    assert "no list of models in the answer" in r.err and "generated index" in r.err
    assert SLUG in r.out


def test_13_a_paged_catalog_is_followed(hostile):
    pages = [
        {
            "code": 0,
            "data": {
                "items": [{"slug": "a/b", "type": "text-to-image"}],
                "page": 1,
                "total_pages": 2,
            },
        },
        {
            "code": 0,
            "data": {
                "items": [{"slug": "c/d", "type": "text-to-video"}],
                "page": 2,
                "total_pages": 2,
            },
        },
    ]
    hostile.on("GET", r"/api/v1/models.*", *[Reply(json=p) for p in pages])
    s = Settings.resolve(env={"MODELLIX_BASE_URL": hostile.url, "MODELLIX_API_KEY": "k"})
    assert [e["slug"] for e in ModellixProvider(s).raw_catalog()] == ["a/b", "c/d"]
    assert "page=2" in hostile.received[1].path


# ------------------------------------------------------------------ specs that drift


def test_15_a_live_spec_that_drifted_is_checked_against_and_shown(vtrix, make_sandbox):
    from vtrix.sandbox.state import Faults

    sb = make_sandbox(faults=Faults(spec_drift=True))
    env = env_for(sb)
    shown = vtrix("models", "spec", "kirin_v3_i2v", env=env)
    assert "differs from the one built into this vtrix" in shown.out
    assert "BREAKING kirin_v3_i2v: parameter image_url removed" in shown.out
    assert "parameter image added (required)" in shown.out
    as_json = json.loads(vtrix("models", "spec", "kirin_v3_i2v", "-o", "json", env=env).out)
    assert as_json["differs_from_built_in"]
    # The live fields are accepted (the bundled spec would refuse `image`), once warned.
    r = vtrix("run", "kirin_v3_i2v", "--param", "image=https://example.com/a.jpg", env=env)
    assert r.code == 0, r.err
    assert r.err.count("differs from the one built into this vtrix") == 1
    old = vtrix(*RUN, env=env)
    assert old.code == 2 and "image" in old.err  # checked against the live spec: nothing sent


# -------------------------------------------------------------------------- smaller


def test_16_headers_are_honest_and_per_gateway(vtrix, hostile):
    from vtrix import __version__

    hostile.on("POST", "/model/v1/generation", Reply(json=vtrix_task("task_1", "in_progress")))
    hostile.on("GET", r"/model/v1/generation/task/.*", Reply(json=vtrix_task("task_1")))
    hostile.on("POST", r"/api/v1/bytedance/.*", Reply(json=modellix_task("task-1", "pending")))
    hostile.on("GET", r"/api/v1/tasks/.*", Reply(json=modellix_task("task-1")))
    assert vtrix(*RUN, env=env_for(hostile)).code == 0
    assert vtrix(*MRUN, env=env_for(hostile)).code == 0
    for req in hostile.received:
        assert req.headers["user-agent"] == f"vtrix-python/{__version__}"
        modellix = not req.path.startswith(("/model/", "/api/v1/skill/"))
        assert ("x-source" in req.headers) is (not modellix), req.path


def test_16_the_upload_limit_is_checked_locally_and_overridable(vtrix, sandbox, tmp_path):
    png = tmp_path / "cat.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 4096)
    cmd = ["run", "google/nano-banana-edit", "--prompt", "a hat", "--image", f"@{png}"]
    small = {**env_for(sandbox), "VTRIX_MAX_UPLOAD": "1K"}
    r = vtrix("--dry-run", *cmd, env=small)
    assert r.code == 2 and "over the upload limit of 1.0 KB" in r.err, r.err
    assert "VTRIX_MAX_UPLOAD" in r.err


def test_16_models_spec_agent_prints_the_agent_prompt(vtrix, sandbox):
    r = vtrix("models", "spec", "kirin_v3_i2v", "--agent", env=env_for(sandbox))
    assert r.code == 0 and "Parameters:" in r.out and "image_url" in r.out
    m = vtrix("models", "spec", SLUG, "--agent", env=env_for(sandbox))
    assert m.code == 0 and "prompt" in m.out and "serves no agent prompt" in m.err


# ------------------------------------------------------------ the sandbox both ways


@pytest.mark.parametrize("form", ["params", "input"])
def test_the_submit_body_form_is_a_setting(vtrix, make_sandbox, form):
    from vtrix.sandbox.state import Faults

    sb = make_sandbox(faults=Faults(submit_form=form))
    env = {**env_for(sb), "VTRIX_SUBMIT_FORM": form}
    dry = json.loads(vtrix("--dry-run", *RUN, "-o", "json", env=env).out)
    expected = {"image_url": "https://example.com/a.jpg"}
    if form == "input":
        assert dry["body"] == {"model": "kirin_v3_i2v", "input": [{"params": expected}]}
    else:
        assert dry["body"] == {"model": "kirin_v3_i2v", "params": expected}
    assert vtrix(*RUN, env=env).code == 0
    other = "params" if form == "input" else "input"
    wrong = vtrix(*RUN, env={**env, "VTRIX_SUBMIT_FORM": other})
    assert wrong.code == 1 and "HTTP 400" in wrong.err


def test_the_submit_form_setting_is_checked(vtrix):
    r = vtrix("--dry-run", *RUN, env={"VTRIX_SUBMIT_FORM": "both"})
    assert r.code == 2 and "VTRIX_SUBMIT_FORM" in r.err


def test_the_sandbox_accepts_separate_keys_per_gateway(vtrix, make_sandbox):
    sb = make_sandbox(gateway_keys={"vtrix": {"sk-v-123456"}, "modellix": {"sk-m-123456"}})
    env = {"VTRIX_BASE_URL": sb.url, "MODELLIX_BASE_URL": sb.url}
    good = {**env, "VTRIX_API_KEY": "sk-v-123456", "MODELLIX_API_KEY": "sk-m-123456"}
    assert vtrix(*RUN, env=good).code == 0
    assert vtrix(*MRUN, env=good).code == 0
    swapped = {**env, "VTRIX_API_KEY": "sk-m-123456", "MODELLIX_API_KEY": "sk-v-123456"}
    assert vtrix(*RUN, env=swapped).code == 1
    assert vtrix(*MRUN, env=swapped).code == 1


def test_sandbox_modes_refuse_unknown_values(sandbox):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        f"{sandbox.url}/__sandbox/faults",
        data=json.dumps({"*": {"submit_form": "xml"}}).encode(),
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req)
    assert exc.value.code == 400 and b"submit_form" in exc.value.read()


def test_11_a_status_missing_for_a_long_stretch_ends_the_wait_with_the_resume_hint():
    from vtrix.base.constants import MISSING_STRETCH
    from vtrix.engine.polling import MissingStatus
    from vtrix.wire.base import TaskState

    missing = MissingStatus("task_1")
    blank = TaskState("task_1", "vtrix", "unknown")
    odd = TaskState("task_1", "vtrix", "unknown", remote_status="rendering")
    for t in (0.0, 30.0, MISSING_STRETCH - 1):
        missing.see(blank, t)
    missing.see(odd, MISSING_STRETCH + 5)  # an unknown word is news: the stretch restarts
    for t in (200.0, 250.0):
        missing.see(blank, t)
    with pytest.raises(BadAnswer) as exc:
        missing.see(blank, 200.0 + MISSING_STRETCH)
    assert exc.value.task_id == "task_1" and "vtrix task wait task_1" in exc.value.hint


def test_12_a_404_after_the_grace_is_reported(vtrix, make_sandbox, monkeypatch):
    from vtrix.engine import polling
    from vtrix.sandbox.state import Faults

    monkeypatch.setattr(polling, "NOT_FOUND_GRACE", 1.5)  # 10 s in use
    sb = make_sandbox(task_seconds=0.3, faults=Faults(visible_after=60))
    r = vtrix(*RUN, "--poll-interval", "0.2", env=env_for(sb))
    assert r.code == 1 and "HTTP 404" in r.err, r.err


def test_19_4_an_open_schema_generates_functions_that_take_extra_parameters(sandbox, home):
    import inspect

    from vtrix import Client
    from vtrix.models import alibaba_cosyvoice_clone as clone

    for fn in (clone.run, clone.submit, clone.arun, clone.asubmit):
        kinds = [p.kind for p in inspect.signature(fn).parameters.values()]
        assert kinds[-1] is inspect.Parameter.VAR_KEYWORD
    for fn in (clone.run, clone.submit):  # the async twins' docstrings point at these
        assert "sent by name, unchecked" in (fn.__doc__ or "")
    client = Client(settings=Settings.resolve(env=env_for(sandbox)))
    task = clone.submit(
        model="cosyvoice-v3.5-plus", text="hi", url="https://e.com/a.wav", speed=1.2, client=client
    )
    params = sandbox.stats()["task_times"][task.id]["params"]
    assert params["speed"] == 1.2 and params["text"] == "hi"


def test_19_5_no_upload_promises_where_the_gateway_has_no_upload_route(vtrix, sandbox, tmp_path):
    from vtrix.models import google_nano_banana_edit, kirin_v3_i2v

    vhelp = vtrix("run", "kirin_v3_i2v", "--help").out
    assert "@FILE" not in vhelp and "Input image URL" in vhelp
    assert "@FILE" in vtrix("run", "google/nano-banana-edit", "--help").out
    assert "PathLike" not in str(kirin_v3_i2v.run.__annotations__)
    assert "PathLike" in str(google_nano_banana_edit.run.__annotations__)
    png = tmp_path / "cat.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    r = vtrix("run", "kirin_v3_i2v", "--image-url", f"@{png}", env=env_for(sandbox))
    assert r.code == 2 and "vtrix has no upload route" in r.err and "URL" in r.err, r.err
    assert sandbox.stats()["tasks_created"] == 0


@pytest.mark.parametrize("model", ["alibaba/ai-try-on", "gpt_image_1"])
def test_19_6_typed_options_on_a_model_without_a_spec_say_what_works(vtrix, sandbox, model):
    r = vtrix("run", model, "--prompt", "x", env=env_for(sandbox))
    assert r.code == 2 and "publishes no parameter spec" in r.err, r.err
    assert "--param prompt=VALUE" in r.err and "--body" in r.err
    assert "No such option" not in r.err
    if "/" in model:
        assert "https://docs.modellix.ai/alibaba/ai-try-on.md" in r.err
    assert sandbox.stats()["tasks_created"] == 0
    ok = vtrix("run", model, "--param", "prompt=x", "-o", "url", env=env_for(sandbox))
    assert ok.code == 0, ok.err


# --------------------------------------------------------- issue 19: small things


def test_19_8_models_list_type_typo_says_did_you_mean(vtrix):
    r = vtrix("models", "list", "--type", "audo", "--offline")
    assert r.code == 2 and "Did you mean: audio?" in r.err


def test_19_8_quiet_on_every_command_that_reports(vtrix, sandbox):
    env = env_for(sandbox)
    task = json.loads(vtrix(*RUN, "--no-wait", "-o", "json", env=env).out)["id"]
    for args in (
        ["task", "get", task, "-q"],
        ["task", "wait", task, "-q"],
        ["model", "invoke", "--model-slug", SLUG, "--body", '{"prompt": "x"}', "-q", "--wait"],
    ):
        r = vtrix(*args, env=env)
        assert r.code == 0 and r.err == "", (args, r.err)


def test_19_8_task_list_columns_align_with_long_keys(vtrix, hostile):
    hostile.on("POST", "/model/v1/generation", Reply(400, json={"message": "bad"}))
    vtrix(*RUN, "--idempotency-key", "k" * 60, env=env_for(hostile))
    hostile.on("POST", "/model/v1/generation", Reply(json=vtrix_task("task_1", "in_progress")))
    vtrix(*RUN, "--no-wait", env=env_for(hostile))
    lines = vtrix("task", "list", "--all", env=env_for(hostile)).out.splitlines()
    starts = {line.index(" vtrix ") for line in lines[1:]}
    assert len(lines) == 3 and len(starts) == 1 and lines[0].index("PROVIDER") == starts.pop() + 1


def test_19_8_auth_login_checks_a_modellix_key(vtrix, make_sandbox):
    sb = make_sandbox(accepted_keys={"sk-good-key-0001"})
    env = {"MODELLIX_BASE_URL": sb.url}
    bad = vtrix(
        "auth", "login", "--provider", "modellix", "--with-token", input="sk-bad-00001\n", env=env
    )
    assert bad.code == 2 and "Modellix refused this key" in bad.err and "not stored" in bad.err
    good = vtrix(
        "auth",
        "login",
        "--provider",
        "modellix",
        "--with-token",
        input="sk-good-key-0001\n",
        env=env,
    )
    assert good.code == 0 and "Modellix accepts this key" in good.err


def test_19_9_task_list_filters_wait_for_many_and_durations(vtrix, sandbox):
    env = env_for(sandbox)
    ids = [json.loads(vtrix(*RUN, "--no-wait", "-o", "json", env=env).out)["id"] for _ in range(2)]
    mid = json.loads(vtrix(*MRUN, "--no-wait", "-o", "json", env=env).out)["id"]
    r = vtrix("task", "wait", *ids, mid, "--timeout", "1m", "-o", "url", env=env)
    assert r.code == 0 and len(r.out.split()) == 3, r.err
    listed = json.loads(vtrix("task", "list", "--model", SLUG, "-o", "json", env=env).out)
    assert [t["id"] for t in listed] == [mid]
    done = json.loads(
        vtrix("task", "list", "--status", "succeeded", "--since", "2h", "-o", "json", env=env).out
    )
    assert {t["id"] for t in done} == {*ids, mid}
    assert vtrix("task", "list", "--since", "soon", env=env).code == 2
    assert vtrix(*RUN, "--timeout", "90s", "-o", "url", env=env).code == 0
    kling = vtrix("models", "list", "--vendor", "bytedance", "--offline", "-o", "id").out.split()
    assert kling and all(m.startswith("bytedance/") for m in kling)


def test_19_8_json_never_cuts_text(vtrix, sandbox):
    listed = json.loads(vtrix("models", "list", "-o", "json", env=env_for(sandbox)).out)
    assert listed and not any("…" in m["summary"] for m in listed)
    assert any(len(m["summary"]) > 100 for m in listed)  # long first sentences kept whole


def test_debug_lasts_one_command_in_a_process_that_runs_several(vtrix, sandbox):
    env = env_for(sandbox)  # `vtrix`: click's runner, every command in this one process
    task = json.loads(vtrix(*RUN, "--no-wait", "-o", "json", env=env).out)["id"]
    debugged = vtrix("--debug", "task", "get", task, "-q", env=env)
    assert debugged.code == 0 and "> GET " in debugged.err
    quiet = vtrix("task", "get", task, "-q", env=env)
    assert quiet.code == 0 and quiet.err == ""
