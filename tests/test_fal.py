"""fal as a gateway folder: its OpenAPI dialect read into the one spec form, its queue protocol
on the mock transport, its key kept to its own hosts, cancel where it exists (and refused with
nothing sent where it does not), and the CLI end to end against the sandbox speaking fal.

The core cases use two small fal-dialect documents written for these tests
(``tests/fixtures/fal``); the real documents fal serves are read through
``conftest.gateway_data`` (the tests that need them skip, saying so, when they are absent)."""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import CANARY, ROOT, codegen_run, gateway_data
from test_run_model import reply

from vtrix.errors import UsageError
from vtrix.http import MockTransport, Response
from vtrix.http.transport import Request
from vtrix.spec.clean import SpecError
from vtrix.wire.fal.dialect import normalise_fal

OURS = ROOT / "tests" / "fixtures" / "fal"
SKETCH = "fal:acme/sketch/v1"
MOTION = "fal:acme/motion/image-to-video"
FAL_KEY = "fal-key-5e1d0c2b7a"


def ours(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((OURS / name).read_text(encoding="utf-8"))
    return doc


def real_documents() -> list[Path]:
    return sorted(gateway_data("fal", "openapi").glob("*.json"))


# ------------------------------------------------------------------ the dialect


def test_every_real_fal_document_normalises() -> None:
    """All of fal's documents (11, as fal serves them) become specs: an id from the
    endpoint, an object schema in fal's option order, no error."""
    docs = real_documents()
    assert len(docs) == 11
    for path in docs:
        doc = json.loads(path.read_text(encoding="utf-8"))
        spec = normalise_fal(doc, source=path.name)
        endpoint = doc["info"]["x-fal-metadata"]["endpointId"]
        assert spec.id == f"fal:{endpoint}" and spec.provider == "fal"
        inputs = next(v for k, v in doc["components"]["schemas"].items() if k.endswith("Input"))
        order = [n for n in inputs["x-fal-order-properties"] if n in inputs["properties"]]
        assert list(spec.schema["properties"])[: len(order)] == order
        assert spec.type in ("image", "video")
        for warning in spec.warnings:  # each names the document and the field
            assert warning.startswith(path.name + ": $.")


def test_the_dialect_is_lowered_into_the_checked_subset() -> None:
    spec = normalise_fal(ours("acme__sketch__v1.json"), source="sketch")
    props = spec.schema["properties"]
    assert list(props) == ["prompt", "image_size", "num_images", "seed", "style", "output_format"]
    assert spec.schema["required"] == ["prompt"]
    assert props["seed"]["type"] == "integer"  # anyOf [integer, null]: an optional integer
    assert props["image_size"]["enum"] == ["square", "landscape_4_3", "portrait_4_3"]
    assert props["image_size"]["default"] == "square"
    assert "enum" not in props["style"]  # these values, or any words: any words
    assert props["style"]["examples"] == ["ink", "pencil", "charcoal"]
    (warning,) = spec.warnings  # the preset-or-object field says what it left out
    assert "image_size" in warning and "object form is not offered" in warning
    assert spec.endpoint == "https://queue.fal.run/acme/sketch/v1"
    video = normalise_fal(ours("acme__motion__image-to-video.json"))
    assert video.type == "video"
    assert video.schema["properties"]["duration"]["enum"] == ["5", "10"]
    assert "_fal_ui_field" not in json.dumps(video.schema)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["info"]["x-fal-metadata"].pop("endpointId"), "endpointId"),
        (lambda d: d["info"]["x-fal-metadata"].update(endpointId="../etc/x"), "endpointId"),
        (lambda d: d["paths"].pop("/acme/sketch/v1"), "requestBody"),
        (
            lambda d: d["components"]["schemas"]["Size"].update(
                properties={"inner": {"$ref": "#/components/schemas/Size"}}
            ),
            "refers to itself",
        ),
        (
            lambda d: d["components"]["schemas"]["SketchV1Input"]["properties"].update(
                x={"$ref": "#/components/schemas/Nowhere"}
            ),
            "names no schema",
        ),
    ],
    ids=["no endpoint id", "an unsafe endpoint id", "no submit", "a cycle", "a dangling $ref"],
)
def test_a_document_that_cannot_be_used_is_refused_naming_where(change: Any, where: str) -> None:
    doc = ours("acme__sketch__v1.json")
    change(doc)
    with pytest.raises(SpecError) as caught:
        normalise_fal(doc, source="sketch")
    assert where in str(caught.value) and str(caught.value).startswith("sketch: $")


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("fal:fal-ai/flux/dev", "fal:fal-ai/flux/dev"),
        ("fal-ai/flux/dev", "fal:fal-ai/flux/dev"),
        ("vtrix:kirin_v3_i2v", "kirin_v3_i2v"),
        ("modellix:bytedance/seedream-4.5-t2i", "bytedance/seedream-4.5-t2i"),
        ("kirin_v3_i2v", "kirin_v3_i2v"),
    ],
)
def test_ids_name_their_gateway(given: str, canonical: str) -> None:
    from vtrix.engine import registry

    assert registry.canonical(given) == canonical
    assert registry.provider_of(registry.canonical(given)) == (
        "fal" if canonical.startswith("fal:") else "modellix" if "/" in canonical else "vtrix"
    )


# ------------------------------------------------------ the queue on the mock transport

RID = "4c1e9a2e-8f2b-4a55-9d0e-3f3a2c1b0a99"


def fal_queue(*, result: Response | None = None, cancel: Response | None = None) -> Any:
    """fal's queue for the sketch endpoint: submit, a COMPLETED status, the result. The submit
    goes to the endpoint (``/acme/sketch/v1``); the request's routes are under its app
    (``/acme/sketch``), as fal documents and its answers' URLs show."""
    endpoint, base = "/acme/sketch/v1", "/acme/sketch"
    spec = json.dumps(ours("acme__sketch__v1.json")).encode()

    def handle(request: Request) -> Response:
        path = "/" + request.url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
        if path.startswith("/api/openapi/queue/openapi.json"):
            return Response(200, {"content-type": "application/json"}, spec, "")
        if request.method == "POST" and path == endpoint:
            return reply(200, {"request_id": RID, "status_url": f"{base}/requests/{RID}/status"})
        if path == f"{base}/requests/{RID}/status":
            return reply(200, {"request_id": RID, "status": "COMPLETED"})
        if path == f"{base}/requests/{RID}" and request.method == "GET":
            return result or reply(200, {"images": [{"url": "https://v3.fal.media/a.png"}]})
        if path == f"{base}/requests/{RID}/cancel" and request.method == "PUT":
            return cancel or reply(202, {"status": "CANCELLATION_REQUESTED"})
        return reply(404, {"detail": "not found"})

    return handle


def fal_client(home: Path, monkeypatch: pytest.MonkeyPatch, handler: Any) -> Any:
    from vtrix import Client

    monkeypatch.setenv("FAL_KEY", FAL_KEY)
    return Client(transport=MockTransport(handler))


def test_a_run_submits_to_the_queue_and_reads_the_result_files(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = fal_client(home, monkeypatch, fal_queue())
    result = client.run(SKETCH, prompt="a lighthouse")
    assert result.status == "succeeded" and result.urls == ["https://v3.fal.media/a.png"]
    sent = client.session.provider("fal").http.transport.requests  # type: ignore[attr-defined]
    submit = next(r for r in sent if r.method == "POST")
    assert submit.url == "https://queue.fal.run/acme/sketch/v1"
    assert json.loads(submit.body) == {"prompt": "a lighthouse"}
    assert submit.headers["Authorization"] == f"Key {FAL_KEY}"
    # the request's routes are under the app, without the endpoint's subpath (/v1)
    polled = {r.url.split("?", 1)[0] for r in sent if r.method == "GET" and "/requests/" in r.url}
    base = f"https://queue.fal.run/acme/sketch/requests/{RID}"
    assert polled == {f"{base}/status", base}
    # the id alone finds it again: the ledger kept its endpoint
    again = client.get_task(RID)
    assert again.status == "succeeded" and again.model == SKETCH


@pytest.mark.parametrize(
    ("endpoint", "app"),
    [
        ("/fal-ai/flux/dev", "/fal-ai/flux"),
        ("/fal-ai/fast-sdxl", "/fal-ai/fast-sdxl"),
        ("/fal-ai/kling-video/v1/standard/text-to-video", "/fal-ai/kling-video"),
        ("/fal-ai/flux-pro/v1.1-ultra/", "/fal-ai/flux-pro"),
        ("/workflows/acme/pipeline/run", "/workflows/acme/pipeline"),
        ("/comfy/acme/graph", "/comfy/acme/graph"),
    ],
)
def test_a_requests_routes_are_under_its_app_not_its_endpoint(
    endpoint: str, app: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fal: the subpath goes with the submit only; status, result and cancel are under the
    app (owner/alias, after a namespace), where the submit answer's URLs point; below a
    proxy's own path too."""
    from vtrix.base.gateways import fal_app_path

    assert fal_app_path(endpoint) == app
    for queue in ("https://queue.fal.run", "https://proxy.example/fal"):
        if queue != "https://queue.fal.run":
            monkeypatch.setenv("FAL_QUEUE_URL", queue)
        provider = fal_client(home, monkeypatch, fal_queue()).session.provider("fal")
        assert provider.task_url("r-1", queue + endpoint) == f"{queue}{app}/requests/r-1/status"


def test_a_failed_run_reads_as_failed_with_fals_words(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vtrix.errors import TaskFailed

    failed = reply(422, {"detail": "content policy violation"})
    client = fal_client(home, monkeypatch, fal_queue(result=failed))
    with pytest.raises(TaskFailed) as caught:
        client.run(SKETCH, prompt="a lighthouse")
    assert "content policy violation" in caught.value.message


def test_cancel_asks_fals_queue_and_the_ledger_keeps_it(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def running(handler: Any) -> Any:
        def handle(request: Request) -> Response:
            if request.url.endswith("/status"):
                return reply(200, {"request_id": RID, "status": "IN_PROGRESS"})
            return handler(request)

        return handle

    client = fal_client(home, monkeypatch, running(fal_queue()))
    task = client.submit(SKETCH, prompt="a lighthouse")
    assert task.cancel() is True and task.status == "canceled"
    assert client.ledger.by_task(RID).state == "canceled"


def test_cancel_on_a_gateway_without_one_sends_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vtrix import Client

    transport = MockTransport(lambda r: reply(500, {}))
    client = Client(api_key=CANARY, transport=transport)
    for task_id, provider in (("task_abc", None), ("task-abc", None), ("x1", "modellix")):
        with pytest.raises(UsageError) as caught:
            client.cancel_task(task_id, provider=provider)
        assert caught.value.exit_code == 2 and "not supported by" in caught.value.message
    assert transport.requests == []


def test_each_key_goes_to_its_own_gateway_only(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three gateways, three keys: every request carries the key of the gateway it goes to
    (in that gateway's scheme), and no other."""
    from test_run_model import done, gateway, submitted

    from vtrix import Client

    keys = {"vtrix": "vtrix-key-111111", "modellix": "modellix-key-222222", "fal": FAL_KEY}
    monkeypatch.setenv("VTRIX_API_KEY", keys["vtrix"])
    monkeypatch.setenv("MODELLIX_API_KEY", keys["modellix"])
    monkeypatch.setenv("FAL_KEY", keys["fal"])
    vtrix_gateway, fal = gateway(submitted, done), fal_queue()

    def modellix(request: Request) -> Response:
        if request.method == "POST":
            return reply(200, {"code": 0, "data": {"task_id": "task-m1", "status": "pending"}})
        return reply(
            200,
            {
                "code": 0,
                "data": {
                    "task_id": "task-m1",
                    "status": "success",
                    "result": {"resources": [{"url": "https://cdn.example/m.png"}]},
                },
            },
        )

    def route(request: Request) -> Response:
        host = request.url.split("://", 1)[1].split("/", 1)[0]
        if host.endswith("fal.run") or host == "fal.ai":
            return fal(request)
        if host.endswith("modellix.ai"):
            return modellix(request)
        return vtrix_gateway(request)

    transport = MockTransport(route)
    client = Client(transport=transport)
    client.run("kirin_v3_i2v", image_url="https://example.com/a.jpg")
    client.run("bytedance/seedream-4.5-t2i", prompt="a cat")
    client.run(SKETCH, prompt="a lighthouse")
    owners = {"vtrix.ai": "vtrix", "modellix.ai": "modellix", "fal.run": "fal"}
    seen = set()
    for r in transport.requests:
        host = r.url.split("://", 1)[1].split("/", 1)[0]
        owner = next((g for d, g in owners.items() if host == d or host.endswith("." + d)), None)
        auth = r.headers.get("Authorization")
        if owner is None or auth is None:
            continue  # a public spec host: no key at all
        scheme = "Key" if owner == "fal" else "Bearer"
        assert auth == f"{scheme} {keys[owner]}", (r.url, auth)
        seen.add(owner)
    assert seen == {"vtrix", "modellix", "fal"}


# ----------------------------------------------------------- the CLI against the sandbox


@pytest.fixture
def fal_sandbox(make_sandbox: Any, tmp_path: Path) -> Any:
    folder = tmp_path / "specs" / "fal"
    folder.mkdir(parents=True)
    for doc in OURS.glob("*.json"):
        shutil.copy(doc, folder / doc.name)
    return make_sandbox(specs_dir=str(folder.parent), task_seconds=0.3)


def fal_env(sb: Any) -> dict[str, str]:
    return {"VTRIX_BASE_URL": sb.url, "MODELLIX_BASE_URL": sb.url, "FAL_KEY": FAL_KEY}


def submits(sb: Any) -> int:
    return int(sb.stats()["routes"].get("fal.submit", 0))


def test_a_fal_model_end_to_end_through_the_cli(vtrix: Any, fal_sandbox: Any, home: Path) -> None:
    env = fal_env(fal_sandbox)
    spec = vtrix("models", "spec", SKETCH, env=env)
    assert spec.code == 0 and "image_size" in spec.out and "Values: jpeg | png" in spec.out
    help_ = vtrix("run", SKETCH, "--help", env=env)
    assert help_.code == 0
    assert help_.out.index("--prompt") < help_.out.index("--image-size") < help_.out.index("--seed")
    bad = vtrix("run", SKETCH, "--prompt", "x", "--image-size", "huge", env=env)
    assert bad.code == 2 and "image_size" in bad.err and submits(fal_sandbox) == 0
    dry = vtrix("--dry-run", "--debug", "run", SKETCH, "--prompt", "x", env=env)
    assert dry.code == 0 and "[dry-run] POST /acme/sketch/v1" in dry.out
    assert "Authorization: Key ***" in dry.out and FAL_KEY not in dry.out + dry.err
    as_json = vtrix("--dry-run", "run", SKETCH, "--prompt", "x", "-o", "json", env=env)
    request = json.loads(as_json.out)
    assert request["url"] == f"{fal_sandbox.url}/acme/sketch/v1" and request["method"] == "POST"
    assert request["headers"]["Authorization"] == "Key ***" and request["body"] == {"prompt": "x"}
    assert submits(fal_sandbox) == 0
    out = home / "out"
    ran = vtrix(
        "run", SKETCH, "--prompt", "a lighthouse", "--save", str(out), "-o", "json", env=env
    )
    assert ran.code == 0, ran.err
    task = json.loads(ran.out)
    assert task["provider"] == "fal" and [p.suffix for p in out.iterdir()] == [".png"]
    got = vtrix("task", "get", task["id"], "-o", "json", env=env)
    assert got.code == 0 and json.loads(got.out)["status"] == "succeeded"
    assert FAL_KEY not in ran.out + ran.err + got.out + got.err
    # The sandbox keeps a request under its app alone, as fal does: not under the endpoint.
    head = {"Authorization": f"Key {FAL_KEY}"}
    under_app = f"{fal_sandbox.url}/acme/sketch/requests/{task['id']}/status"
    with urllib.request.urlopen(urllib.request.Request(under_app, headers=head)) as resp:
        assert json.load(resp)["status"] == "COMPLETED"
    under_endpoint = f"{fal_sandbox.url}/acme/sketch/v1/requests/{task['id']}/status"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(under_endpoint, headers=head))
    assert refused.value.code == 404


def test_task_cancel_cancels_a_running_fal_task_and_refuses_on_vtrix(
    vtrix: Any, make_sandbox: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "specs" / "fal"
    folder.mkdir(parents=True)
    shutil.copy(OURS / "acme__motion__image-to-video.json", folder)
    sb = make_sandbox(specs_dir=str(folder.parent), task_seconds=600)
    env = {**fal_env(sb), "VTRIX_API_KEY": CANARY}
    args = ("--prompt", "go", "--image-url", "https://example.com/a.png", "--no-wait")
    submitted = vtrix("run", MOTION, *args, env=env)
    assert submitted.code == 0, submitted.err
    task_id = submitted.out.strip()
    cancelled = vtrix("task", "cancel", task_id, env=env)
    assert cancelled.code == 0 and f"canceled {task_id}" in cancelled.out
    got = vtrix("task", "get", task_id, "-o", "json", env=env)
    assert json.loads(got.out)["status"] == "canceled"
    kirin = vtrix(
        "run", "kirin_v3_i2v", "--image-url", "https://example.com/a.jpg", "--no-wait", env=env
    )
    before = sb.stats()["routes"]
    refused = vtrix("task", "cancel", kirin.out.strip(), env=env)
    assert refused.code == 2 and "not supported by vtrix" in refused.err
    after = sb.stats()["routes"]
    assert {k: v for k, v in after.items() if re.match(r"(vtrix|fal)\.", k)} == {
        k: v for k, v in before.items() if re.match(r"(vtrix|fal)\.", k)
    }


def test_every_real_fal_document_works_end_to_end_in_the_sandbox(
    vtrix: Any, make_sandbox: Any, home: Path
) -> None:
    """Each of fal's own documents, served by the sandbox: its spec, its typed --help, a bad
    value of one of its enums refused with nothing sent, a run saved to a file, and the task
    found again from its id alone."""
    docs = real_documents()
    folder = home / "specs" / "fal"  # fal's documents alone: nothing else to read at start
    folder.mkdir(parents=True)
    for path in docs:
        shutil.copy(path, folder / path.name)
    sb = make_sandbox(specs_dir=str(folder.parent), task_seconds=0.1)
    env = fal_env(sb)
    for path in docs:
        doc = json.loads(path.read_text(encoding="utf-8"))
        spec = normalise_fal(doc)
        model = spec.id
        assert vtrix("models", "spec", model, env=env).code == 0
        help_ = vtrix("run", model, "--help", env=env)
        assert help_.code == 0 and "--prompt" in help_.out, help_.err
        props = spec.schema["properties"]
        enum_field = next(n for n, p in props.items() if "enum" in p)
        given = {n: _example(p) for n, p in props.items() if n in spec.schema.get("required", [])}
        before = submits(sb)
        bad = vtrix("run", model, "--body", json.dumps({**given, enum_field: "no-such"}), env=env)
        assert bad.code == 2 and enum_field in bad.err and submits(sb) == before, model
        out = home / path.stem
        ran = vtrix(
            "run", model, "--body", json.dumps(given), "--save", str(out), "-o", "json", env=env
        )
        assert ran.code == 0, (model, ran.err)
        assert len(list(out.iterdir())) == 1
        task_id = json.loads(ran.out)["id"]
        assert json.loads(vtrix("task", "get", task_id, "-o", "json", env=env).out)["id"] == task_id


def _example(prop: dict[str, Any]) -> Any:
    if "enum" in prop:
        return prop.get("default", prop["enum"][0])
    if prop.get("type") == "string":
        if "url" in str(prop.get("title", "")).lower():
            return "https://example.com/a.png"
        return "a red fox in the snow"[: prop.get("maxLength", 100)]
    return prop.get("default", 1)


GOOD_USE = """from mypins import acme_sketch_v1

result = acme_sketch_v1.run(prompt="a lighthouse", image_size="square", num_images=2)
print(result.urls)
"""
WRONG_USE = """from mypins import acme_sketch_v1

acme_sketch_v1.run(prompt="a lighthouse", image_size="huge")
"""


def test_models_pin_writes_typed_modules_that_mypy_and_pyright_check(
    vtrix: Any, fal_sandbox: Any, tmp_path: Path, mypy_cache: str
) -> None:
    import subprocess
    import sys

    env = fal_env(fal_sandbox)
    package = tmp_path / "app" / "mypins"
    pinned = vtrix("models", "pin", SKETCH, "kirin_v3_i2v", "--into", str(package), env=env)
    assert pinned.code == 0, pinned.err
    assert {p.name for p in package.glob("*.py")} == {
        "__init__.py",
        "acme_sketch_v1.py",
        "kirin_v3_i2v.py",
    }
    assert "DO NOT EDIT" in (package / "acme_sketch_v1.py").read_text().splitlines()[0]
    (tmp_path / "app" / "good.py").write_text(GOOD_USE)
    (tmp_path / "app" / "wrong.py").write_text(WRONG_USE)
    (tmp_path / "app" / "pyrightconfig.json").write_text('{"typeCheckingMode": "strict"}')
    pyright = Path(sys.executable).parent / "pyright"
    if not pyright.exists():
        pytest.skip(f"SKIPPED LOUDLY: {pyright} is not installed (make install)")
    for checker in (
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", mypy_cache],
        [str(pyright), "--pythonpath", sys.executable],
    ):  # one run each over both files: the right call passes, the wrong one is flagged
        proc = subprocess.run(
            [*checker, "good.py", "wrong.py"], capture_output=True, text=True, cwd=tmp_path / "app"
        )
        flagged = [line for line in proc.stdout.splitlines() if "error:" in line]
        assert flagged and all("wrong.py" in line for line in flagged), (checker[0], proc.stdout)
        assert any("image_size" in line or "huge" in line for line in flagged), proc.stdout
    # --check: as pinned, until the gateway's spec changes
    assert vtrix("models", "pin", "--check", str(package), env=env).code == 0
    kept = package / "_pinned" / "acme_sketch_v1.json"
    data = json.loads(kept.read_text())
    data["schema"]["properties"]["output_format"]["enum"] = ["jpeg", "png", "webp"]
    kept.write_text(json.dumps(data))
    drift = vtrix("models", "pin", "--check", str(package), env=env)
    assert drift.code == 1 and "fal:acme/sketch/v1: drifted" in drift.out
    assert "output_format" in drift.out
    # a file vtrix did not write is never replaced
    (package / "acme_sketch_v1.py").write_text("# mine\n")
    again = vtrix("models", "pin", SKETCH, "--into", str(package), env=env)
    assert again.code != 0 and (package / "acme_sketch_v1.py").read_text() == "# mine\n"


def test_codegen_fetches_chosen_fal_endpoints_and_generates_them(
    fal_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A maintainer's `codegen fetch --fal ENDPOINT` writes that document into specs/fal/
    (the rest of the snapshot as it was), and `generate` makes it a typed module."""
    from codegen.fetch import fetch_fal

    specs = tmp_path / "maintainer" / "specs"
    shutil.copytree(ROOT / "tests" / "golden" / "specs", specs)
    before = sorted(p.relative_to(specs) for p in specs.rglob("*.json"))
    for name, value in fal_env(fal_sandbox).items():
        monkeypatch.setenv(name, value)
    assert fetch_fal(specs, ["acme/sketch/v1"]) == 0
    after = sorted(p.relative_to(specs) for p in specs.rglob("*.json"))
    assert sorted(set(after) - set(before)) == [Path("fal/acme__sketch__v1.json")]
    assert fetch_fal(specs, ["acme/no-such/thing"]) == 1  # reported, nothing written
    root = tmp_path / "out"
    proc = codegen_run("generate", "--specs", str(specs), "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    module = (root / "src" / "vtrix" / "models" / "fal_acme_sketch_v1.py").read_text()
    assert 'MODEL_ID = "fal:acme/sketch/v1"' in module and "class Params" in module
    assert "image_size" in proc.stderr  # the leniency is said, naming the field


def many_fal(handler_for_vtrix: Any) -> Any:
    """fal's queue giving each submit a request id of its own (and vtrix's gateway beside)."""
    import itertools

    ids = (f"0000000{n}-8f2b-4a55-9d0e-3f3a2c1b0a99" for n in itertools.count(1))
    spec = json.dumps(ours("acme__sketch__v1.json")).encode()

    def handle(request: Request) -> Response:
        host, _, path = request.url.split("://", 1)[1].partition("/")
        path = "/" + path.split("?", 1)[0]
        if not (host.endswith("fal.run") or host.endswith("fal.ai")):
            return handler_for_vtrix(request)
        if path.startswith("/api/openapi/queue/openapi.json"):
            return Response(200, {"content-type": "application/json"}, spec, "")
        if request.method == "POST":
            return reply(200, {"request_id": next(ids)})
        rid = path.split("/requests/", 1)[1].split("/", 1)[0]
        if path.endswith("/status"):
            return reply(200, {"request_id": rid, "status": "COMPLETED"})
        return reply(200, {"images": [{"url": f"https://v3.fal.media/{rid}.png"}]})

    return handle


def test_a_batch_mixes_gateways_under_one_budget_and_spend_shows_each(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from test_run_model import IMAGE, KIRIN, gateway, submitted, task

    from vtrix import Client
    from vtrix.cli.io import IO
    from vtrix.cli.run_batch import BatchOptions, run_batch
    from vtrix.cli.run_money import SpendOptions, run_spend
    from vtrix.engine.pricing import set_price

    monkeypatch.setenv("VTRIX_API_KEY", CANARY)
    monkeypatch.setenv("FAL_KEY", FAL_KEY)
    set_price(KIRIN, Decimal("0.30"), "task")
    set_price(SKETCH, Decimal("0.10"), "task")
    transport = MockTransport(many_fal(gateway(submitted, lambda r: reply(200, task()))))
    client = Client(transport=transport)
    lines = [
        {"model": KIRIN, "params": IMAGE, "key": "k1"},
        {"model": SKETCH, "params": {"prompt": "a"}, "key": "f1"},
        {"model": SKETCH, "params": {"prompt": "b"}, "key": "f2"},
        {"model": KIRIN, "params": {**IMAGE, "duration": 6}, "key": "k2"},
    ]
    path = home / "mixed.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = io.StringIO()
    code = run_batch(
        BatchOptions(str(path), concurrency=1, budget="0.50", output="json"),
        client,
        IO(out, io.StringIO()),
    )
    assert code == 4  # the budget stopped the last line
    posts = [r for r in transport.requests if r.method == "POST"]
    assert len(posts) == 3  # 0.30 + 0.10 + 0.10: never past 0.50
    results = [json.loads(x) for x in out.getvalue().splitlines()]
    assert {r["provider"] for r in results if r["outcome"] == "succeeded"} == {"vtrix", "fal"}
    spent = io.StringIO()
    run_spend(SpendOptions(group="provider", output="json"), client, IO(spent, io.StringIO()))
    groups = json.loads(spent.getvalue())["groups"]
    assert groups["fal"]["tasks"] == 2 and groups["vtrix"]["tasks"] == 1


def test_the_mcp_tools_find_submit_and_cancel_a_fal_task(
    make_sandbox: Any, tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from vtrix.aio import AsyncClient
    from vtrix.mcp.tools import Tools

    folder = tmp_path / "specs" / "fal"
    folder.mkdir(parents=True)
    shutil.copy(OURS / "acme__sketch__v1.json", folder)
    sb = make_sandbox(specs_dir=str(folder.parent), task_seconds=600)
    for name, value in {**fal_env(sb), "VTRIX_API_KEY": CANARY}.items():
        monkeypatch.setenv(name, value)

    async def agent() -> None:
        tools = Tools(AsyncClient(), root=tmp_path)
        error, found = await tools.search_models(provider="fal")
        assert not error and [m["id"] for m in found["models"]] == [SKETCH]
        error, task = await tools.submit_task(SKETCH, {"prompt": "a lighthouse"})
        assert not error and task["provider"] == "fal", task
        error, cancelled = await tools.cancel_task(task["id"])
        assert not error and cancelled["status"] == "canceled", cancelled
        error, kirin = await tools.submit_task("kirin_v3_i2v", {"image_url": "https://x.io/a.jpg"})
        assert not error
        error, refused = await tools.cancel_task(kirin["id"])
        assert error and "not supported by vtrix" in refused["error"]["message"]

    asyncio.run(agent())


def test_auth_login_stores_a_fal_key_for_fal_alone(vtrix: Any, home: Path) -> None:
    from vtrix.store.config import Settings

    stored = vtrix("auth", "login", "--provider", "fal", "--with-token", input=FAL_KEY + "\n")
    assert stored.code == 0, stored.err
    settings = Settings.resolve()
    assert settings.key_for("fal") is not None and settings.key_for("fal").reveal() == FAL_KEY
    assert settings.key_for("vtrix") is None and settings.key_for("modellix") is None
    both = vtrix("auth", "login", "--no-check", "--with-token", input="sk-both-key-1234\n")
    assert both.code == 0
    assert Settings.resolve().key_for("fal").reveal() == FAL_KEY  # "both" is vtrix and Modellix
    status = vtrix("auth", "status")
    assert "fal:" in status.out and FAL_KEY not in status.out


def test_a_bare_endpoint_no_gateway_knows_names_its_prefixed_candidate(home: Path) -> None:
    """``fal-ai/recraft-v3`` reads as a Modellix slug; when Modellix has no such model the
    refusal (exit 2, nothing sent but the look) names the prefixed id to use instead."""
    from vtrix import Client
    from vtrix.errors import UnknownModel

    transport = MockTransport(lambda r: reply(404, {"code": 404, "message": "not found"}))
    with pytest.raises(UnknownModel) as caught:
        Client(transport=transport).resolve("fal-ai/recraft-v3")
    assert caught.value.exit_code == 2 and "fal:fal-ai/recraft-v3" in caught.value.hint
    assert [r.method for r in transport.requests] == ["GET"]


def test_models_list_says_nothing_of_a_gateway_the_user_has_no_key_for(home: Path) -> None:
    """Without FAL_KEY, `models list` shows the other gateways and says nothing of fal;
    `--provider fal` says why it shows nothing."""
    import io

    from vtrix import Client
    from vtrix.cli.io import IO
    from vtrix.cli.run_catalog import ListOptions, run_models_list

    client = Client(api_key=CANARY, transport=MockTransport(lambda r: reply(503, {})))
    for provider, said in ((None, False), ("fal", True)):
        out, err = io.StringIO(), io.StringIO()
        run_models_list(ListOptions(provider=provider, offline=False), client, IO(out, err))
        assert ("fal key" in err.getvalue()) is said, err.getvalue()
