"""Replicate as a gateway folder: its Cog schemas read into the one spec form, its predictions
API on the mock transport (by model, by version, ``Prefer: wait``, cancel, outputs that expire),
the recorded sessions of Replicate's own client replayed through the adapter, and the CLI end
to end against the sandbox speaking Replicate.

The core cases use a model object written for these tests (``tests/fixtures/replicate``); the
real schemas and recordings are read through ``conftest.gateway_data`` (the tests that need
them skip, saying so, when they are absent)."""

from __future__ import annotations

import functools
import gzip
import json
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, gateway_data
from test_run_model import reply

from vtrix.base.secrets import Secret
from vtrix.errors import ApiError, AuthError, UsageError
from vtrix.http import MockTransport, Response
from vtrix.http.transport import Request
from vtrix.spec.clean import SpecError
from vtrix.store.config import Settings
from vtrix.task import CANCELED, SUCCEEDED
from vtrix.wire.replicate.adapter import STATUS, ReplicateProvider
from vtrix.wire.replicate.dialect import normalise

OURS = ROOT / "tests" / "fixtures" / "replicate"
PAINTER = "replicate:acme/painter"
VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
TOKEN = "r8_test-token-7f3a9c"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where built: 10 MB to read
PID = "q1w2e3r4t5y6u7i8o9p0a1s2d3"


def painter() -> dict[str, Any]:
    model: dict[str, Any] = json.loads((OURS / "acme__painter.json").read_text("utf-8"))
    return model


# ------------------------------------------------------------------ the dialect


def test_a_cog_schema_is_lowered_into_the_checked_subset() -> None:
    spec = normalise(PAINTER, painter(), None, "painter")
    props = spec.schema["properties"]
    assert list(props) == ["prompt", "style", "steps", "image", "seed", "hf_token"]  # x-order
    assert spec.schema["required"] == ["prompt"]
    assert props["style"]["enum"] == ["ink", "pencil", "charcoal"]  # allOf [$ref: enum]
    assert props["style"]["default"] == "ink" and props["style"]["description"] == "How it is drawn"
    assert (props["steps"]["minimum"], props["steps"]["maximum"]) == (1, 50)  # Cog's ge / le
    assert props["image"]["type"] == "string"  # a file: format uri, sent as a URL
    assert props["hf_token"]["writeOnly"] is True  # x-cog-secret
    assert spec.schema["additionalProperties"] is False
    assert spec.type == "image" and spec.summary == "Paints a picture from a prompt."
    assert spec.endpoint == "https://api.replicate.com/v1/models/acme/painter/predictions"
    pinned = normalise(f"{PAINTER}:{VERSION}", painter()["latest_version"], None, "v")
    assert pinned.id == f"{PAINTER}:{VERSION}"
    assert pinned.endpoint == "https://api.replicate.com/v1/predictions"


@pytest.mark.parametrize(
    ("model_id", "change", "where"),
    [
        (PAINTER, lambda m: m.update(latest_version=None), "no published version"),
        (PAINTER, lambda m: m["latest_version"]["openapi_schema"]["components"].clear(), "Input"),
        ("replicate:acme/other", lambda m: None, "it describes acme/painter"),
        ("replicate:acme/..x", lambda m: None, "not a safe identifier"),
        ("replicate:acme", lambda m: None, "expected <owner>/<name>"),
        (
            PAINTER,
            lambda m: m["latest_version"]["openapi_schema"]["components"]["schemas"]["Input"][
                "properties"
            ].update(x={"allOf": [{"$ref": "#/components/schemas/nowhere"}]}),
            "names no schema",
        ),
    ],
    ids=["no version", "no input", "another model", "unsafe id", "no name", "dangling $ref"],
)
def test_a_model_that_cannot_be_used_is_refused_naming_it(
    model_id: str, change: Any, where: str
) -> None:
    model = painter()
    change(model)
    with pytest.raises(SpecError) as caught:
        normalise(model_id, model, None, "painter")
    assert where in str(caught.value) and str(caught.value).startswith("painter")


# ------------------------------------------------------------ the recorded sessions


def cassettes() -> list[Path]:
    return sorted(gateway_data("replicate", "cassettes").glob("*.yaml"))


@functools.cache
def exchanges(path: Path) -> list[tuple[str, str, int, bytes]]:
    """(method, URL, status, body) of each recorded exchange, in either layout the recorders
    wrote (httpx-style ``content``/``status_code``, or vcrpy's ``body.string``/``status``)."""
    data = yaml.load(path.read_text("utf-8"), Loader=LOADER)
    out = []
    for item in data["interactions"]:
        req, resp = item["request"], item["response"]
        status = resp["status_code"] if "status_code" in resp else resp["status"]["code"]
        body = resp["content"] if "content" in resp else (resp.get("body") or {}).get("string")
        raw = body if isinstance(body, bytes) else (body or "").encode("utf-8")
        if raw[:2] == b"\x1f\x8b":  # recorded as sent: gzip, which a transport undoes
            raw = gzip.decompress(raw)
        out.append((req["method"], req["uri"], int(status), raw))
    return out


def schemas_in(node: Any, found: dict[str, tuple[str, dict[str, Any]]], where: str) -> None:
    """Every version object (an ``id`` and an ``openapi_schema``) anywhere in an answer."""
    if isinstance(node, dict):
        if isinstance(node.get("openapi_schema"), dict) and isinstance(node.get("id"), str):
            found.setdefault(node["id"], (where, node))
        for value in node.values():
            schemas_in(value, found, where)
    elif isinstance(node, list):
        for value in node:
            schemas_in(value, found, where)


def test_every_recorded_cog_schema_normalises_or_is_refused_by_name(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in cassettes():
        for _, _, _, body in exchanges(path):
            try:
                schemas_in(json.loads(body), found, path.name)
            except ValueError:
                continue
    ok, refused = 0, []
    for version, (where, obj) in sorted(found.items()):
        try:
            normalise(f"replicate:a/b:{version}", obj, None, f"{where} {version}")
            ok += 1
        except SpecError as exc:
            assert version in str(exc) and "$." in str(exc)  # the model and the field named
            refused.append(str(exc))
    with capsys.disabled():
        print(f"\nReplicate Cog schemas: {ok} of {len(found)} normalise, {len(refused)} refused")
    assert len(found) >= 65 and ok >= 0.99 * len(found)  # 65 distinct models, more versions


def replay(path: Path) -> tuple[ReplicateProvider, list[tuple[str, str, int, bytes]]]:
    """The adapter on a transport that answers each request with the recording's next
    answer to that method and URL (no network)."""
    recorded = exchanges(path)
    queue = list(recorded)

    def answer(request: Request) -> Response:
        for i, (method, uri, status, body) in enumerate(queue):
            if method == request.method and uri.split("?")[0] == request.url.split("?")[0]:
                del queue[i]
                json_body = body[:1] in (b"{", b"[")
                headers = {"content-type": "application/json"} if json_body else {}
                return Response(status, headers, body, "")
        raise AssertionError(f"{path.name}: no recorded answer to {request.method} {request.url}")

    settings = Settings(keys={"replicate": Secret(TOKEN)})
    return ReplicateProvider(settings, MockTransport(answer)), recorded


def check_exchange(prov: ReplicateProvider, method: str, uri: str, status: int, body: bytes) -> str:
    """Ask the adapter what the recording asked, and check it reads the recorded answer as
    the recording says. Returns what kind of exchange it was."""
    path = uri.split("://", 1)[1].split("/", 1)[1].split("?")[0]
    parts = path.split("/")
    said: Any = json.loads(body) if body[:1] in (b"{", b"[") else None
    if status >= 400:
        with pytest.raises(ApiError) as caught:
            prov.http.get_json(uri) if method == "GET" else prov.http.run(
                prov.http.submit_plan(uri, {}, what="recorded")
            )
        assert isinstance(caught.value, AuthError) == (status == 401)
        assert said["detail"] in caught.value.message  # Replicate's own words
        return f"error {status}"
    if method == "POST" and parts[-1] == "predictions":
        request = type("R", (), {"url": uri, "body": {}})()
        state = prov.http.run(prov.submit_plan(request, "replicate:x/y", "k"))  # type: ignore[arg-type]
        assert state.id == said["id"] and state.status == STATUS[said["status"]]
        return "create"
    if method == "POST" and path == "v1/files":  # a local file uploaded for an input
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".txt") as fh:
            answer = prov.upload(fh.name, "text/plain")
        sent = prov.http.transport.requests[-1]  # type: ignore[attr-defined]
        assert sent.files and list(sent.files) == ["content"]  # Replicate's field name
        assert answer["url"] == said["urls"]["get"]
        return "upload"
    if method == "POST" and parts[-1] == "cancel" and parts[1] == "predictions":
        assert prov.http.run(prov.cancel_plan(parts[2], "")) == (said["status"] == "canceled")
        return "cancel"
    if method == "GET" and parts[:2] == ["v1", "predictions"] and len(parts) == 3:
        state = prov.http.run(prov.task_plan(parts[2]))
        assert state.status == STATUS[said["status"]]
        assert state.model == (f"replicate:{said['model']}" if said.get("model") else "")
        if said["status"] == "succeeded":
            assert said["output"] and state.urls  # every recorded success holds files
            assert state.expires_at is not None
            assert state.raw["metrics"]["predict_time"] == said["metrics"]["predict_time"]
        return "poll"
    if method == "GET" and parts[:2] == ["v1", "models"] and len(parts) in (4, 6):
        model_id = f"replicate:{parts[2]}/{parts[3]}" + (f":{parts[5]}" if len(parts) == 6 else "")
        raw = prov.raw_spec(model_id)
        if said.get("latest_version") is None and "openapi_schema" not in said:
            with pytest.raises(SpecError, match="no published version"):
                prov.normalise_spec(model_id, raw)
            return "model without a version"
        assert prov.normalise_spec(model_id, raw).schema["properties"]
        return "model" if len(parts) == 4 else "version"
    if method == "GET" and path == "v1/models":
        entries, following = prov.catalog_page(uri)
        assert [e.id for e in entries] == [
            f"replicate:{r['owner']}/{r['name']}" for r in said["results"]
        ]
        assert following == said["next"]  # on Replicate's own host: followed
        return "catalog page"
    if "trainings" in parts and method in ("GET", "POST"):  # the prediction envelope
        state = prov.parse_task(prov.http.run(_read(prov, method, uri)), None)
        assert state.id == said["id"] and state.status == STATUS[said["status"]]
        return "training"
    if not uri.startswith(("https://api.replicate.com/", "http://api.replicate.com/")):
        from vtrix.base.gateways import REPLICATE
        from vtrix.http import Send

        host = uri.split("://", 1)[1].split("/", 1)[0]
        assert not REPLICATE.owns_host(host)  # an output's host never gets the token

        def fetch() -> Any:
            headers = prov.http.headers(auth=False)
            got = yield Send(Request("GET", uri, headers, decode=False), time.monotonic() + 30)
            return got

        got = prov.http.run(fetch())
        assert got.body[:8] == b"\x89PNG\r\n\x1a\n" and "Authorization" not in headers_of(prov)
        return "download"  # an output file, not an API call
    answered = prov.http.run(_read(prov, method, uri))
    assert answered == said or (status == 204 and answered in (None, {}))
    return f"other {method}"


def headers_of(prov: ReplicateProvider) -> dict[str, str]:
    """The headers of the last request the adapter sent."""
    requests: list[Request] = prov.http.transport.requests  # type: ignore[attr-defined]
    return dict(requests[-1].headers)


def _read(prov: ReplicateProvider, method: str, uri: str) -> Any:
    """One request of any method, answered as JSON (what the API answers to every call)."""
    from vtrix.http import Send
    from vtrix.http.answer import decode

    headers = prov.http.headers(auth=True)
    outcome = yield Send(Request(method, uri, headers, body=b"{}"), time.monotonic() + 30)
    if outcome.status == 204 or not outcome.body:
        return None
    return decode(outcome, f"{method} {uri}")


def test_every_recorded_session_replays_through_the_adapter(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    """Each of the 33 recordings, exchange by exchange: predictions created (by model, by
    version, held by Prefer: wait), polled to the end, cancelled; models, versions and pages;
    401 and 404 in Replicate's words. Nothing goes to the network."""
    paths = cassettes()
    kinds: dict[str, int] = {}
    for path in paths:
        prov, recorded = replay(path)
        for method, uri, status, body in recorded:
            kind = check_exchange(prov, method, uri, status, body)
            kinds[kind] = kinds.get(kind, 0) + 1
        assert prov.http.transport.requests, path.name  # type: ignore[attr-defined]
    with capsys.disabled():
        print(f"\nReplicate replay: {len(paths)} sessions, {sum(kinds.values())} exchanges {kinds}")
    assert len(paths) == 33 and sum(kinds.values()) == 226
    kinds_seen = ("create", "poll", "cancel", "model", "version", "catalog page", "upload")
    for kind in (*kinds_seen, "error 401"):
        assert kinds.get(kind), kind


# ---------------------------------------------------------- the API on the mock transport


def replicate_api(prediction: dict[str, Any] | None = None) -> Any:
    """Replicate for the painter: its model object, a create, a finished poll, cancel."""
    done = {
        "id": PID,
        "status": "succeeded",
        "output": ["https://replicate.delivery/a/out-0.png", "https://replicate.delivery/a/1.png"],
        "completed_at": "2026-12-07T01:00:00.000000Z",
        "metrics": {"predict_time": 2.5},
    }

    def handle(request: Request) -> Response:
        path = "/" + request.url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
        if path == "/v1/models/acme/painter":
            return reply(200, painter())
        if path == f"/v1/models/acme/painter/versions/{VERSION}":
            return reply(200, painter()["latest_version"])
        if request.method == "POST" and path.endswith("/predictions"):
            return reply(201, {"id": PID, "status": "starting"})
        if path == f"/v1/predictions/{PID}/cancel":
            return reply(200, {"id": PID, "status": "canceled"})
        if path == f"/v1/predictions/{PID}":
            return reply(200, prediction or done)
        return reply(404, {"detail": "Not found.", "status": 404})

    return handle


def replicate_client(monkeypatch: pytest.MonkeyPatch, handler: Any) -> Any:
    from vtrix import Client

    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    return Client(transport=MockTransport(handler))


def sent(client: Any) -> list[Request]:
    requests: list[Request] = client.session.provider("replicate").http.transport.requests
    return requests


def test_a_run_creates_by_model_holds_within_the_deadline_and_reads_the_files(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = replicate_client(monkeypatch, replicate_api())
    result = client.run(PAINTER, prompt="a lighthouse", timeout=120)
    assert result.status == "succeeded" and len(result.urls) == 2
    create = next(r for r in sent(client) if r.method == "POST")
    assert create.url == "https://api.replicate.com/v1/models/acme/painter/predictions"
    assert json.loads(create.body) == {"input": {"prompt": "a lighthouse"}}
    assert create.headers["Authorization"] == f"Bearer {TOKEN}"
    hold = int(create.headers["Prefer"].removeprefix("wait="))
    assert 1 <= hold <= 60  # within the run's deadline and the submit's own timeout
    got = client.get_task(PID)  # the id alone finds it again
    assert got.status == "succeeded" and got.model == PAINTER
    assert got.result().expires_at is not None  # outputs are deleted an hour after the end


def test_a_pinned_version_creates_by_version(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = replicate_client(monkeypatch, replicate_api())
    task = client.submit(f"{PAINTER}:{VERSION}", prompt="a lighthouse", style="pencil")
    assert task.id == PID
    create = next(r for r in sent(client) if r.method == "POST")
    assert create.url == "https://api.replicate.com/v1/predictions"
    assert "Prefer" not in create.headers  # a submit that does not wait asks for no hold
    body = json.loads(create.body)
    assert body == {"version": VERSION, "input": {"prompt": "a lighthouse", "style": "pencil"}}


def test_a_bad_value_is_refused_with_nothing_sent(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vtrix.errors import ValidationFailed

    client = replicate_client(monkeypatch, replicate_api())
    with pytest.raises(ValidationFailed) as caught:
        client.submit(PAINTER, prompt="x", steps=500, style="crayon")
    assert {p.path for p in caught.value.problems} == {"steps", "style"}
    assert not [r for r in sent(client) if r.method == "POST"]


def test_a_secret_input_is_never_shown(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = replicate_client(monkeypatch, replicate_api())
    prepared = client.prepare(PAINTER, {"prompt": "x", "hf_token": "hf_SECRETVALUE123"})
    assert prepared.request.body["input"]["hf_token"] == "hf_SECRETVALUE123"  # sent as given
    shown = prepared.request.body_json() + repr(prepared) + repr(prepared.request)
    assert "hf_SECRETVALUE123" not in shown and "***" in prepared.request.body_json()


def test_a_failed_and_a_removed_prediction_read_as_the_gateway_says(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vtrix.errors import TaskFailed

    failed = {"id": PID, "status": "failed", "error": "CUDA out of memory"}
    client = replicate_client(monkeypatch, replicate_api(failed))
    with pytest.raises(TaskFailed) as caught:
        client.run(PAINTER, prompt="x")
    assert "CUDA out of memory" in caught.value.message
    removed = {
        "id": PID,
        "status": "succeeded",
        "output": None,
        "data_removed": True,
        "completed_at": "2020-01-01T00:00:00Z",
    }
    prov = ReplicateProvider(
        Settings(keys={"replicate": Secret(TOKEN)}), MockTransport(replicate_api(removed))
    )
    state = prov.http.run(prov.task_plan(PID))
    assert state.status == SUCCEEDED and state.urls == []
    assert state.expires_at is not None and state.expires_at < time.time()
    import io

    from vtrix.cli.io import IO
    from vtrix.cli.run_task import TaskOptions, run_task_get

    out = io.StringIO()
    client = replicate_client(monkeypatch, replicate_api(removed))
    run_task_get(TaskOptions((PID,), provider="replicate"), client, IO(out, io.StringIO()))
    assert "Expired: 2020-01-01 01:00:00 UTC (the gateway deleted them)" in out.getvalue()


def test_cancel_posts_to_the_prediction_and_the_ledger_keeps_it(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = {"id": PID, "status": "processing"}
    client = replicate_client(monkeypatch, replicate_api(running))
    task = client.submit(PAINTER, prompt="x")
    assert task.cancel() is True and task.status == CANCELED
    cancel = next(r for r in sent(client) if r.url.endswith("/cancel"))
    assert cancel.method == "POST" and cancel.url.endswith(f"/v1/predictions/{PID}/cancel")
    assert client.ledger.by_task(PID).state == "canceled"


def test_the_token_goes_to_replicates_host_only(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catalog page whose ``next`` link points elsewhere is not followed: the token would
    go with it."""
    page = {"results": [painter()], "next": "https://evil.example/v1/models?cursor=2"}
    transport = MockTransport(lambda r: reply(200, page))
    prov = ReplicateProvider(Settings(keys={"replicate": Secret(TOKEN)}), transport)
    assert [e.id for e in prov.catalog()] == [PAINTER]
    assert [r.url for r in transport.requests] == ["https://api.replicate.com/v1/models"]


@pytest.mark.parametrize(
    "bad", ["replicate:acme", "replicate:a/../b", "replicate:a/b:not a version"]
)
def test_an_id_that_cannot_be_replicates_is_refused_with_nothing_sent(
    vtrix: Any, home: Path, bad: str
) -> None:
    env = {"REPLICATE_API_TOKEN": TOKEN, "VTRIX_BASE_URL": "http://127.0.0.1:9"}
    for args in (("run", bad, "--help"), ("models", "spec", bad), ("run", bad, "--param", "x=1")):
        r = vtrix(*args, env=env)
        assert r.code == 2 and "is not a Replicate model id" in r.err, (args, r.err)
        assert "Traceback" not in r.err and "nothing was sent" in r.err


def test_no_token_sends_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vtrix import Client

    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    transport = MockTransport(replicate_api())
    with pytest.raises((UsageError, AuthError)) as caught:
        Client(transport=transport).submit(PAINTER, prompt="x")
    assert "REPLICATE_API_TOKEN" in caught.value.message + caught.value.hint
    assert not [r for r in transport.requests if r.method == "POST"]


# ----------------------------------------------------------- the CLI against the sandbox


@pytest.fixture
def replicate_sandbox(make_sandbox: Any, tmp_path: Path) -> Any:
    folder = tmp_path / "specs" / "replicate" / "acme"
    folder.mkdir(parents=True)
    shutil.copy(OURS / "acme__painter.json", folder / "painter.json")  # any layout
    return make_sandbox(specs_dir=str(folder.parent.parent), task_seconds=0.3)


def test_a_replicate_model_end_to_end_through_the_cli(
    vtrix: Any, replicate_sandbox: Any, home: Path
) -> None:
    sb = replicate_sandbox
    env = {"VTRIX_BASE_URL": sb.url, "REPLICATE_API_TOKEN": TOKEN}
    spec = vtrix("models", "spec", PAINTER, env=env)
    assert spec.code == 0 and "Values: ink | pencil | charcoal" in spec.out
    help_ = vtrix("run", PAINTER, "--help", env=env)
    assert help_.code == 0 and help_.out.index("--prompt") < help_.out.index("--style")
    assert "1<=x<=50" in help_.out and "secret" in help_.out
    bad = vtrix("run", PAINTER, "--prompt", "x", "--style", "crayon", env=env)
    assert bad.code == 2 and "style" in bad.err and not sb.stats()["routes"].get("replicate.submit")
    out = home / "out"
    ran = vtrix(
        "run", PAINTER, "--prompt", "a lighthouse", "--save", str(out), "-o", "json", env=env
    )
    assert ran.code == 0, ran.err
    task = json.loads(ran.out)
    assert task["provider"] == "replicate" and [p.suffix for p in out.iterdir()] == [".png"]
    got = vtrix("task", "get", task["id"], "-o", "json", env=env)
    assert got.code == 0 and json.loads(got.out)["status"] == "succeeded"
    queued = vtrix("run", PAINTER, "--prompt", "slow", "--no-wait", "-o", "json", env=env)
    cancel = vtrix("task", "cancel", json.loads(queued.out)["id"], env=env)
    assert cancel.code == 0 and "canceled" in cancel.out
    assert TOKEN not in ran.out + ran.err + got.out + got.err + cancel.out + cancel.err


def test_a_local_file_goes_to_replicates_files_api_and_its_url_into_the_input(
    vtrix: Any, replicate_sandbox: Any, tmp_path: Path
) -> None:
    """``--image @cat.png``: uploaded first (``POST /v1/files``, field ``content``, with the
    token), then the prediction's input names the file's ``urls.get``; a dry run says what
    it would upload and uploads nothing."""
    sb = replicate_sandbox
    env = {"VTRIX_BASE_URL": sb.url, "REPLICATE_API_TOKEN": TOKEN}
    cat = tmp_path / "cat.png"
    cat.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    dry = vtrix("--dry-run", "run", PAINTER, "--prompt", "x", "--image", f"@{cat}", env=env)
    assert dry.code == 0 and f"would upload {cat} (image/png" in dry.out and "/v1/files" in dry.out
    assert not sb.stats()["routes"].get("replicate.submit")
    ran = vtrix("run", PAINTER, "--prompt", "x", "--image", f"@{cat}", "-o", "json", env=env)
    assert ran.code == 0, ran.err
    sent = json.loads(ran.out)["raw"]["input"]["image"]
    assert sent.startswith(f"{sb.url}/v1/files/")
    req = urllib.request.Request(sent, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req) as resp:
        kept = json.load(resp)
    assert kept["name"] == "cat.png" and kept["size"] == 72 and kept["content_type"] == "image/png"


def test_mcp_upload_file_uses_the_gateway_it_has_a_key_for(
    replicate_sandbox: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With only a Replicate token, ``upload_file`` uploads to Replicate (not to Modellix,
    the first gateway with an upload route, whose key it lacks)."""
    from test_mcp import call

    from vtrix.aio import AsyncClient
    from vtrix.mcp.server import build_server
    from vtrix.mcp.tools import Tools

    for name in ("VTRIX_API_KEY", "MODELLIX_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    monkeypatch.setenv("REPLICATE_BASE_URL", replicate_sandbox.url)
    work = home / "work"
    work.mkdir()
    (work / "cat.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    server = build_server(Tools(AsyncClient(), root=work), None)

    async def steps(c: Any) -> Any:
        return await c.call_tool("upload_file", {"path": "cat.png"})

    result = call(server, steps)
    assert not result.is_error, result.structured_content
    assert result.structured_content["url"].startswith(f"{replicate_sandbox.url}/v1/files/")
