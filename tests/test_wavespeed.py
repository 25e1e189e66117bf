"""WaveSpeed as a gateway folder: its catalog rows' request schemas read into the one spec form
(conditions named in warnings, UI extensions dropped), its enveloped API on the mock transport
(submit, result, the gateway's own refusals, quotes from its price route, the balance, no
cancel), and the CLI end to end against the sandbox speaking WaveSpeed.

The core cases use a catalog written for these tests (``tests/fixtures/wavespeed``); the real
catalog rows are read through ``conftest.gateway_data`` (the test that needs them skips,
saying so, when they are absent)."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, gateway_data
from test_run_model import reply

from vtrix.base.secrets import Secret
from vtrix.errors import RequestRejected, UsageError
from vtrix.http import MockTransport, Response
from vtrix.http.transport import Request
from vtrix.spec.clean import SpecError
from vtrix.store.config import Settings
from vtrix.wire.wavespeed.adapter import WaveSpeedProvider
from vtrix.wire.wavespeed.dialect import normalise

OURS = ROOT / "tests" / "fixtures" / "wavespeed"
CLIP = "wavespeed:acme/clip-i2v"
KEY = "ws-key-4d2c9e1f0a"
TID = "b1f0c2d3-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def row() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((OURS / "catalog.json").read_text("utf-8"))["data"][0]
    return data


# ------------------------------------------------------------------ the dialect


def test_a_catalog_row_is_read_into_the_checked_subset() -> None:
    spec = normalise(CLIP, row(), None, "clip")
    props = spec.schema["properties"]
    assert list(props) == ["image", "prompt", "last_image", "duration", "resolution"]
    assert spec.schema["required"] == ["image", "prompt"]
    assert props["duration"]["enum"] == [5, 8, 10] and props["duration"]["default"] == 5
    assert spec.schema["additionalProperties"] is False
    assert "x-ui-component" not in json.dumps(spec.schema) and "disabled" not in props["last_image"]
    # the if/then/else rule is not an option's constraint: named, left to the gateway
    (rule,) = [w for w in spec.warnings if "conditional rule" in w]
    assert "duration" in rule and "last_image" in rule and "(if/then/else)" in rule
    assert rule.startswith("clip: $.api_schema.api_schemas[0].request_schema.if: ")
    assert spec.type == "video" and spec.endpoint == "https://api.wavespeed.ai/api/v3/acme/clip-i2v"
    assert spec.summary == "Turns a still into a short clip."


@pytest.mark.parametrize(
    ("model_id", "change", "where"),
    [
        (CLIP, lambda r: r["api_schema"]["api_schemas"].clear(), "no model_run entry"),
        (CLIP, lambda r: r["api_schema"]["api_schemas"][0].pop("request_schema"), "object schema"),
        ("wavespeed:acme/other", lambda r: None, "it describes acme/clip-i2v"),
        (CLIP, lambda r: r.update(model_id="acme/../x"), "not a safe identifier"),
        (
            CLIP,
            lambda r: r["api_schema"]["api_schemas"][0]["request_schema"]["properties"].update(
                x={"$ref": "#/elsewhere"}
            ),
            "could steer code generation",
        ),
    ],
    ids=["no run", "no schema", "another model", "unsafe id", "a $ref"],
)
def test_a_row_that_cannot_be_used_is_refused_naming_it(
    model_id: str, change: Any, where: str
) -> None:
    data = row()
    change(data)
    with pytest.raises(SpecError) as caught:
        normalise(model_id, data, None, "clip")
    assert where in str(caught.value) and str(caught.value).startswith("clip: $")


def test_every_real_catalog_row_normalises_or_is_refused_by_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = gateway_data("wavespeed", "catalog", "video-models.json")
    rows = json.loads(path.read_text("utf-8"))
    ok, refused, warned = 0, [], 0
    for data in rows:
        model_id = f"wavespeed:{data['model_id']}"
        try:
            spec = normalise(model_id, data, None, data["model_id"])
        except SpecError as exc:
            assert data["model_id"] in str(exc) and "$" in str(exc)  # model and field named
            refused.append(str(exc))
            continue
        ok += 1
        warned += bool(spec.warnings)
        order = data["api_schema"]["api_schemas"][0]["request_schema"]["x-order-properties"]
        assert list(spec.schema["properties"])[: len(order)] == [
            n for n in order if n in spec.schema["properties"]
        ]
    with capsys.disabled():
        print(
            f"\nWaveSpeed schemas: {ok} of {len(rows)} normalise ({warned} with warnings), "
            f"{len(refused)} refused"
        )
    assert len(rows) == 483 and ok >= 0.99 * len(rows)


# ---------------------------------------------------------- the API on the mock transport


def wavespeed_api(result: dict[str, Any] | None = None, submit: Response | None = None) -> Any:
    """WaveSpeed for the clip model: its catalog, a submit, a completed result, a price."""
    catalog = json.loads((OURS / "catalog.json").read_text("utf-8"))
    done = {"id": TID, "status": "completed", "outputs": ["https://cdn.wavespeed.ai/o/a.mp4"]}

    def handle(request: Request) -> Response:
        path = "/" + request.url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
        if path == "/api/v3/models":
            return reply(200, catalog)
        if path == "/api/v3/model/price":
            return reply(200, {"code": 200, "data": {"price": 0.5, "discounted_price": 0.4}})
        if path == "/api/v3/balance":
            return reply(200, {"code": 200, "message": "success", "data": {"balance": 12.5}})
        if request.method == "POST" and path == "/api/v3/acme/clip-i2v":
            return submit or reply(200, {"code": 200, "data": {"id": TID, "status": "created"}})
        if path == f"/api/v3/predictions/{TID}/result":
            return reply(200, {"code": 200, "message": "success", "data": result or done})
        return reply(404, {"code": 404, "message": "not found", "data": None})

    return handle


def wavespeed_client(monkeypatch: pytest.MonkeyPatch, handler: Any) -> Any:
    from vtrix import Client

    monkeypatch.setenv("WAVESPEED_API_KEY", KEY)
    return Client(transport=MockTransport(handler))


def sent(client: Any) -> list[Request]:
    requests: list[Request] = client.session.provider("wavespeed").http.transport.requests
    return requests


def test_a_run_submits_the_input_and_reads_the_outputs(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = wavespeed_client(monkeypatch, wavespeed_api())
    result = client.run(CLIP, image="https://example.com/a.png", prompt="a wave")
    assert result.status == "succeeded" and result.urls == ["https://cdn.wavespeed.ai/o/a.mp4"]
    submit = next(r for r in sent(client) if r.url.endswith("/acme/clip-i2v"))
    assert submit.url == "https://api.wavespeed.ai/api/v3/acme/clip-i2v"
    assert json.loads(submit.body) == {"image": "https://example.com/a.png", "prompt": "a wave"}
    assert submit.headers["Authorization"] == f"Bearer {KEY}"
    got = client.get_task(TID)  # the id alone finds it again
    assert got.status == "succeeded" and got.model == CLIP


def test_the_gateways_refusal_in_its_envelope_is_a_refusal(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An HTTP 200 whose envelope says 400 made no task: refused, in WaveSpeed's words."""
    refused = reply(200, {"code": 400, "message": "image could not be fetched", "data": None})
    client = wavespeed_client(monkeypatch, wavespeed_api(submit=refused))
    with pytest.raises(RequestRejected) as caught:
        client.submit(CLIP, image="https://example.com/a.png", prompt="a wave")
    assert "image could not be fetched" in caught.value.message
    (entry,) = client.ledger.recent(everything=True)
    assert entry.state == "rejected" and not entry.task_id  # no task: nothing to pay for


def test_a_failed_task_reads_as_failed_with_its_words(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vtrix.errors import TaskFailed

    failed = {"id": TID, "status": "failed", "outputs": [], "error": "NSFW content detected"}
    client = wavespeed_client(monkeypatch, wavespeed_api(failed))
    with pytest.raises(TaskFailed) as caught:
        client.run(CLIP, image="https://example.com/a.png", prompt="a wave")
    assert "NSFW content detected" in caught.value.message


def test_a_quote_comes_from_the_price_route_and_keeps_a_cap(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vtrix.errors import BudgetReached

    client = wavespeed_client(monkeypatch, wavespeed_api())
    quote = client.quote(CLIP, image="https://example.com/a.png", prompt="a wave", duration=8)
    assert quote.source == "gateway" and quote.amount == Decimal("0.5")  # the higher price
    price = next(r for r in sent(client) if r.url.endswith("/model/price"))
    assert json.loads(price.body) == {
        "model_id": "acme/clip-i2v",
        "inputs": {"image": "https://example.com/a.png", "prompt": "a wave", "duration": 8},
    }
    prepared = client.prepare(CLIP, {"image": "https://example.com/a.png", "prompt": "a wave"})
    with pytest.raises(BudgetReached):
        client.submit_prepared(prepared, max_cost=Decimal("0.45"))
    assert not [r for r in sent(client) if r.url.endswith("/acme/clip-i2v")]


def test_a_price_answered_without_the_envelope_is_read_too(home: Path) -> None:
    """The notes on WaveSpeed's price route name its fields, not whether the envelope wraps
    them: the bare object is read as well as the enveloped one."""

    def bare(request: Request) -> Response:
        if request.url.endswith("/model/price"):
            return reply(200, {"price": "0.25", "currency": "USD"})
        return wavespeed_api()(request)

    prov = WaveSpeedProvider(Settings(keys={"wavespeed": Secret(KEY)}), MockTransport(bare))
    assert prov.price(CLIP, {"prompt": "x"}) == Decimal("0.25")
    enveloped = WaveSpeedProvider(
        Settings(keys={"wavespeed": Secret(KEY)}), MockTransport(wavespeed_api())
    )
    assert enveloped.price(CLIP, {"prompt": "x"}) == Decimal("0.5")


def test_the_balance_and_the_key_check_use_the_balance_route() -> None:
    transport = MockTransport(wavespeed_api())
    prov = WaveSpeedProvider(Settings(keys={"wavespeed": Secret(KEY)}), transport)
    assert prov.balance() == 12.5 and prov.check_key() is True
    refused = WaveSpeedProvider(
        Settings(keys={"wavespeed": Secret(KEY)}),
        MockTransport(lambda r: reply(401, {"code": 401, "message": "invalid key", "data": None})),
    )
    assert refused.check_key() is False


@pytest.mark.parametrize("bad", ["wavespeed:a b", "wavespeed:acme/../x"])
def test_an_id_that_cannot_be_wavespeeds_is_refused_with_nothing_sent(
    vtrix: Any, home: Path, bad: str
) -> None:
    env = {"WAVESPEED_API_KEY": KEY, "VTRIX_BASE_URL": "http://127.0.0.1:9"}
    for args in (("run", bad, "--help"), ("models", "spec", bad), ("quote", bad)):
        r = vtrix(*args, env=env)
        assert r.code == 2 and "is not a WaveSpeed model id" in r.err, (args, r.err)
        assert "Traceback" not in r.err


def test_a_model_its_catalog_lacks_is_unknown(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vtrix.errors import UnknownModel

    client = wavespeed_client(monkeypatch, wavespeed_api())
    with pytest.raises(UnknownModel) as caught:
        client.submit("wavespeed:acme/nothing", prompt="x")
    assert caught.value.exit_code == 2 and "wavespeed:acme/nothing" in caught.value.message


def test_cancel_is_refused_with_nothing_sent(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    running = {"id": TID, "status": "processing", "outputs": []}
    client = wavespeed_client(monkeypatch, wavespeed_api(running))
    task = client.submit(CLIP, image="https://example.com/a.png", prompt="a wave")
    before = len(sent(client))
    with pytest.raises(UsageError) as caught:
        task.cancel()
    assert caught.value.exit_code == 2 and "not supported by WaveSpeed" in caught.value.message
    assert len(sent(client)) == before


# ----------------------------------------------------------- the CLI against the sandbox


@pytest.fixture
def wavespeed_sandbox(make_sandbox: Any, tmp_path: Path) -> Any:
    folder = tmp_path / "specs" / "wavespeed"
    folder.mkdir(parents=True)
    shutil.copy(OURS / "catalog.json", folder / "page-1.json")
    return make_sandbox(specs_dir=str(folder.parent), task_seconds=0.3)


def test_a_wavespeed_model_end_to_end_through_the_cli(
    vtrix: Any, wavespeed_sandbox: Any, home: Path
) -> None:
    sb = wavespeed_sandbox
    env = {"VTRIX_BASE_URL": sb.url, "WAVESPEED_API_KEY": KEY}
    spec = vtrix("models", "spec", CLIP, env=env)
    assert spec.code == 0 and "Values: 5 | 8 | 10" in spec.out
    help_ = vtrix("run", CLIP, "--help", env=env)
    assert help_.code == 0 and help_.out.index("--image") < help_.out.index("--duration")
    args = ("--image", "https://example.com/a.png", "--prompt", "a wave")
    bad = vtrix("run", CLIP, *args, "--duration", "7", env=env)
    assert (
        bad.code == 2 and "duration" in bad.err and not sb.stats()["routes"].get("wavespeed.submit")
    )
    quoted = vtrix("quote", CLIP, "--param", "image=https://e.com/a.png", "-o", "json", env=env)
    assert quoted.code == 0 and json.loads(quoted.out)["source"] == "gateway"
    asked = sb.stats()["routes"]["wavespeed.price"]
    assert asked >= 1
    dry = vtrix("--dry-run", "run", CLIP, *args, env=env)  # sends the inputs nowhere
    assert dry.code == 0 and "price route" in dry.err
    assert sb.stats()["routes"]["wavespeed.price"] == asked
    out = home / "out"
    ran = vtrix("run", CLIP, *args, "--save", str(out), "-o", "json", env=env)
    assert ran.code == 0, ran.err
    task = json.loads(ran.out)
    assert task["provider"] == "wavespeed" and [p.suffix for p in out.iterdir()] == [".mp4"]
    got = vtrix("task", "get", task["id"], "-o", "json", env=env)
    assert got.code == 0 and json.loads(got.out)["status"] == "succeeded"
    before = sum(sb.stats()["routes"].values())
    cancel = vtrix("task", "cancel", task["id"], env=env)
    assert cancel.code == 2 and "not supported by WaveSpeed" in cancel.err
    assert sum(sb.stats()["routes"].values()) == before + 1  # nothing but this look
    assert KEY not in ran.out + ran.err + got.out + got.err + cancel.out + cancel.err
