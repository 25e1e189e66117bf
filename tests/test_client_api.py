"""The Python client and the generated typed functions, over real HTTP."""

from __future__ import annotations

import inspect

import pytest
from conftest import CANARY

from vtrix import Client
from vtrix.errors import TaskFailed, ValidationFailed, WaitTimeout


@pytest.fixture
def client(sandbox, home):
    return Client(api_key=CANARY, base_url=sandbox.url)


def test_client_run_and_result(client, sandbox, tmp_path):
    seen = []
    result = client.run(
        "kirin_v3_i2v",
        image_url="https://e.com/a.jpg",
        duration=3,
        on_progress=lambda s, eta: seen.append(s.progress),
    )
    assert result.urls and result.urls[0].endswith(
        ".mp4" + result.urls[0][result.urls[0].index("?") :]
    )
    assert result.raw["status"] == "completed" and result.cost == "0.18"  # 3 s at 0.06
    assert seen and seen[-1] == 100
    assert result.status == "succeeded" and result.model == "kirin_v3_i2v" and result.id
    saved = client.save(result, tmp_path / "out")
    with open(saved[0], "rb") as fh:
        assert fh.read()[4:8] == b"ftyp"


def test_client_submit_get_task_and_modellix(client):
    task = client.submit("bytedance/seedream-4.5-t2i", prompt="a cat")
    assert task.id.startswith("task-") and task.provider == "modellix"
    again = client.get_task(task.id)
    assert again.provider == "modellix"
    result = again.wait(timeout=10)
    assert result.urls[0].split("?")[0].endswith(".png")


def test_client_errors_are_typed_with_exit_codes(client, make_sandbox):
    with pytest.raises(ValidationFailed) as exc:
        client.submit("kirin_v3_i2v", duration=2)
    assert exc.value.exit_code == 2 and len(exc.value.problems) == 2
    with pytest.raises(TaskFailed) as failed:
        client.run("kirin_v3_i2v", image_url="https://e.com/u.jpg", prompt="[fail]")
    assert failed.value.exit_code == 1
    slow = make_sandbox(task_seconds=30)
    with pytest.raises(WaitTimeout) as timeout:
        Client(api_key=CANARY, base_url=slow.url).run(
            "kirin_v3_i2v", image_url="https://e.com/u.jpg", timeout=0.5
        )
    assert timeout.value.exit_code == 124 and timeout.value.task_id


def test_generated_typed_functions(client, sandbox):
    from vtrix.models import kirin_v3_i2v

    hints = kirin_v3_i2v.run.__annotations__
    assert hints["resolution"] == "Literal['480p', '720p', '1080p'] | None"
    # vtrix has no upload route: a URL only (issue 19), no PathLike promised
    assert hints["image_url"] == "str" and hints["duration"] == "int | None"
    sig = inspect.signature(kirin_v3_i2v.run)
    assert all(p.kind is p.KEYWORD_ONLY for p in sig.parameters.values())
    assert "Video duration in seconds (an integer in range 3–10" in kirin_v3_i2v.run.__doc__
    result = kirin_v3_i2v.run(
        image_url="https://e.com/a.jpg", resolution="1080p", client=client, timeout=10
    )
    assert result.urls
    with pytest.raises(ValidationFailed):
        kirin_v3_i2v.submit(image_url="https://e.com/u.jpg", resolution="4k", client=client)  # type: ignore[arg-type]


def test_only_given_values_are_sent(client):
    from vtrix.models import kirin_v3_i2v

    task = kirin_v3_i2v.submit(image_url="https://e.com/u.jpg", client=client)
    assert task.state.raw["model"] == "kirin_v3_i2v"
    prepared = client.prepare("kirin_v3_i2v", {"image_url": "https://e.com/u.jpg"})
    assert prepared.request.body == {
        "model": "kirin_v3_i2v",
        "params": {"image_url": "https://e.com/u.jpg"},
    }


def test_not_generated_model_uses_live_spec(client, sandbox, monkeypatch, tmp_path):
    import vtrix.engine.registry as reg

    (tmp_path / "empty.tsv").write_text("# an empty index\n")
    monkeypatch.setattr(reg, "_INDEX", reg._Index(str(tmp_path / "empty.tsv")))
    with pytest.raises(ValidationFailed) as exc:
        client.submit("kirin_v3_i2v", duration=99)
    assert {p.path for p in exc.value.problems} == {"duration", "image_url"}
    assert client.submit("kirin_v3_i2v", image_url="https://e.com/u.jpg").id.startswith("task_")


def test_prepare_is_pure_in_a_fresh_home(home, monkeypatch):
    """Validation and the exact request, from settings alone: no socket, no ledger, no HTTP
    client (they are made when a request is sent)."""
    import socket

    def no_socket(*args, **kwargs):
        raise AssertionError("prepare opened a socket")

    monkeypatch.setattr(socket, "socket", no_socket)
    monkeypatch.setattr(socket, "create_connection", no_socket)
    client = Client(api_key=CANARY)
    for model, params in (
        ("kirin_v3_i2v", {"image_url": "https://e.com/a.jpg", "duration": 6}),
        ("bytedance/seedream-4.5-t2i", {"prompt": "a cat"}),
    ):
        prepared = client.prepare(model, params)
        assert prepared.request.method == "POST" and prepared.request.url.startswith("https://")
    with pytest.raises(ValidationFailed):
        client.prepare("kirin_v3_i2v", {"duration": "six"})
    assert not [p for p in home.rglob("*") if p.is_file()]  # no ledger, no cache, nothing
    assert all(p._http is None for p in client.session._providers.values())


def test_lookups_are_brief_and_polls_keep_their_budget(home):
    """Within session.lookups() (a catalog, a spec, an unknown id: each has a local fallback)
    reads are asked twice within 5 s; afterwards a poll has its whole budget again."""
    from vtrix.base.constants import LOOKUP_ATTEMPTS, LOOKUP_BUDGET, READ_ATTEMPTS, READ_BUDGET

    session = Client(api_key=CANARY).session
    early = session.provider("vtrix").http  # made before
    with session.lookups():
        late = session.provider("modellix").http  # made within
        for http in (early, late):
            assert (http.read_attempts, http.read_budget) == (LOOKUP_ATTEMPTS, LOOKUP_BUDGET)
    for http in (early, late):
        assert (http.read_attempts, http.read_budget) == (READ_ATTEMPTS, READ_BUDGET)


def test_a_run_reads_the_generated_spec_once(vtrix, monkeypatch):
    """The command is built from the generated spec, and the engine is handed what the
    command line resolved: the file is read once, not again to validate."""
    from vtrix.engine import registry

    reads: list[str] = []
    real = registry.generated_spec_data

    def counted(model_id):
        reads.append(model_id)
        return real(model_id)

    monkeypatch.setattr(registry, "generated_spec_data", counted)
    r = vtrix("--dry-run", "run", "kirin_v3_i2v", "--image-url", "https://example.com/a.jpg")
    assert r.code == 0, r.err
    assert reads == ["kirin_v3_i2v"]
