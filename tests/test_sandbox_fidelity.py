"""The sandbox behaves as the real gateways do for independent clients and curl: endpoints
that stay in the sandbox, stable answers, 402 only where money is spent, one auth rule per
host, every error in its protocol's envelope (auth first), catalog/spec/submit agreeing, the
documented Modellix task shapes, and a CLI that says what it is doing."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
import requests
from conftest import CANARY
from virtual_time import CLOCK

AUTH = {"Authorization": f"Bearer {CANARY}"}
BROKE = {"Authorization": "Bearer sk-broke-key-0001"}


def test_a_client_following_the_vtrix_spec_stays_in_the_sandbox(make_sandbox):
    sandbox = make_sandbox()  # by default its endpoints name the sandbox itself
    spec = requests.get(f"{sandbox.url}/api/v1/skill/models/kirin_v3_i2v/spec").json()["data"]
    assert spec["api"]["endpoint"] == f"{sandbox.url}/model/v1/generation"
    r = requests.post(
        spec["api"]["endpoint"],
        json={"model": "kirin_v3_i2v", "params": {"image_url": "u"}},
        headers=AUTH,
    )
    assert r.status_code == 200 and r.json()["id"].startswith("task_")


def test_answers_are_stable_across_polls(sandbox, clock):
    # clock: the sandbox's tasks run on the fake clock; its sleeps pass no real time
    task = requests.post(
        f"{sandbox.url}/model/v1/generation",
        json={"model": "kirin_v3_i2v", "params": {"image_url": "u"}},
        headers=AUTH,
    ).json()
    clock.sleep(0.8)
    url = f"{sandbox.url}/model/v1/generation/task/{task['id']}"
    first = requests.get(url, headers=AUTH).json()
    clock.sleep(1.1)
    second = requests.get(url, headers=AUTH).json()
    assert first["created_at"] == second["created_at"] == task["created_at"]
    assert first["output"] == second["output"]  # the result URL (and its expiry) included
    mtask = requests.post(
        f"{sandbox.url}/api/v1/bytedance/seedream-4.5-t2i/async",
        json={"prompt": "x"},
        headers=AUTH,
    ).json()["data"]
    clock.sleep(0.8)
    murl = f"{sandbox.url}/api/v1/tasks/{mtask['task_id']}"
    a, b = requests.get(murl, headers=AUTH).json(), requests.get(murl, headers=AUTH).json()
    assert a["data"]["result_expires_at"] == b["data"]["result_expires_at"]


def test_402_only_for_paid_submits(make_sandbox):
    sb = make_sandbox(broke_keys={"sk-broke-key-0001"})
    base = sb.url
    assert requests.get(f"{base}/api/v1/apikey/validate", headers=BROKE).json()["data"] == {
        "is_valid": True
    }
    assert requests.get(f"{base}/api/v1/team/balance", headers=BROKE).json()["data"] == {
        "balance": 0.0
    }
    task = requests.get(f"{base}/api/v1/tasks/task-nope", headers=BROKE)
    assert task.status_code == 404
    assert requests.get(f"{base}/api/v1/models", headers=BROKE).status_code == 200
    submit = requests.post(
        f"{base}/api/v1/bytedance/seedream-4.5-t2i/async", json={"prompt": "x"}, headers=BROKE
    )
    assert submit.status_code == 402 and submit.json() == {
        "code": 402,
        "message": "Payment Required: balance insufficient",
    }
    vsubmit = requests.post(
        f"{base}/model/v1/generation",
        json={"model": "kirin_v3_i2v", "params": {"image_url": "u"}},
        headers=BROKE,
    )
    assert vsubmit.status_code == 402 and "message" in vsubmit.json()


def test_one_auth_rule_per_host(sandbox):
    """The Modellix API host takes the key on every route, the catalog included (as the
    official modellix-cli sends it); the vtrix models service and the schema host are public."""
    assert requests.get(f"{sandbox.url}/api/v1/models").json() == {
        "code": 401,
        "message": "Unauthorized: API key is missing",
    }
    assert requests.get(f"{sandbox.url}/api/v1/models", headers=AUTH).status_code == 200
    assert requests.get(f"{sandbox.url}/api/v1/skill/models").status_code == 200
    assert (
        requests.get(f"{sandbox.url}/models/bytedance/seedream-4.5-t2i/api_schema").status_code
        == 200
    )


@pytest.mark.parametrize(
    "method,path,headers,status,body",
    [
        (
            "GET",
            "/api/v1/skill/models?page=abc",
            {},
            400,
            {
                "status": {"code": 400, "message": "page must be a whole number, got 'abc'"},
                "data": None,
            },
        ),
        (
            "GET",
            "/api/v1/skill/nothing/here",
            {},
            404,
            {"status": {"code": 404, "message": "no such route"}, "data": None},
        ),
        (
            "GET",
            "/api/v1/no/such/route/at/all",
            {},
            401,
            {"code": 401, "message": "Unauthorized: API key is missing"},
        ),
        (
            "GET",
            "/api/v1/no/such/route/at/all",
            AUTH,
            404,
            {"code": 404, "message": "Not Found: no such route"},
        ),
        (
            "DELETE",
            "/api/v1/tasks/x",
            AUTH,
            405,
            {"code": 405, "message": "Method Not Allowed: DELETE is not allowed here"},
        ),
        ("PUT", "/model/v1/generation", AUTH, 405, {"message": "PUT is not allowed here"}),
        (
            "POST",
            "/api/v1/media/files",
            {},
            401,
            {"code": 401, "message": "Unauthorized: API key is missing"},
        ),
        (
            "POST",
            "/api/v1/media/files",
            AUTH,
            400,
            {"code": 400, "message": "Bad Request: multipart field 'file' is missing"},
        ),
    ],
)
def test_every_error_uses_its_protocols_envelope_auth_first(
    sandbox, method, path, headers, status, body
):
    r = requests.request(method, sandbox.url + path, headers=headers)
    assert (r.status_code, r.json()) == (status, body)


def test_catalog_spec_and_submit_agree(sandbox):
    base = sandbox.url
    listed = requests.get(f"{base}/api/v1/skill/models", params={"page_size": 100}).json()
    ids = {m["id"] for m in listed["data"]["models"]}
    assert len(ids) == 60 and {"kirin_v3_i2v", "gpt_image_1"} <= ids  # the whole catalog
    for model in ("kirin_v3_i2v", "kirin_v2_6_i2v", "spark_dance_v2_0"):
        assert requests.get(f"{base}/api/v1/skill/models/{model}/spec").status_code == 200
    # A catalog model the snapshot has no spec for: 404 on the spec route, as committed, and
    # its submits take any object (a model without a published spec).
    missing = requests.get(f"{base}/api/v1/skill/models/gpt_image_1/spec")
    assert missing.status_code == 404 and "publishes no parameter spec" in missing.text
    taken = requests.post(
        f"{base}/model/v1/generation",
        json={"model": "gpt_image_1", "params": {"x": 1}},
        headers=AUTH,
    )
    assert taken.status_code == 200
    unheard = requests.post(
        f"{base}/model/v1/generation", json={"model": "no_such_model", "params": {}}, headers=AUTH
    )
    assert unheard.status_code == 404
    assert requests.get(f"{base}/models/alibaba/qwen-image-edit/api_schema").status_code == 404
    ok = requests.post(
        f"{base}/api/v1/alibaba/qwen-image-edit/async", json={"anything": [1, 2]}, headers=AUTH
    )
    assert ok.status_code == 200


def test_modellix_task_fields_follow_the_docs(sandbox):
    base = sandbox.url
    task = requests.post(
        f"{base}/api/v1/bytedance/seedream-4.5-t2i/async", json={"prompt": "x"}, headers=AUTH
    ).json()["data"]
    assert task["model_id"] == "seedream-4.5-t2i"
    pending = requests.get(f"{base}/api/v1/tasks/{task['task_id']}", headers=AUTH).json()["data"]
    assert pending["status"] in ("pending", "processing")
    assert "duration" not in pending and "result" not in pending
    CLOCK.sleep(0.8)
    done = requests.get(f"{base}/api/v1/tasks/{task['task_id']}", headers=AUTH).json()["data"]
    assert done["model_id"] == "seedream-4.5-t2i"
    assert isinstance(done["duration"], int) and done["duration"] == 600
    assert done["result"]["resources"][0]["role"] == "primary"


def test_injected_503_says_service_unavailable_and_faults_refuse_unknown_keys(sandbox):
    sandbox.faults(modellix_task={"unavailable_rate": 1.0})
    r = requests.get(f"{sandbox.url}/api/v1/tasks/x", headers=AUTH)
    assert r.status_code == 503 and r.json()["message"].startswith("Service Unavailable:")
    bad = requests.post(f"{sandbox.url}/__sandbox/faults", json={"files": {"fail_rate": 0.5}})
    assert bad.status_code == 400 and "unknown fault fail_rate" in bad.json()["message"]


def test_a_port_in_use_is_a_clear_error(vtrix):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        r = vtrix("sandbox", "--port", str(port))  # refused before it serves: in-process
    finally:
        taken.close()
    assert r.code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in r.err and "Traceback" not in r.err


def test_every_interface_prints_a_url_vtrix_accepts(vtrix):
    import signal

    # Reachable by others: its routes need a key.
    cmd = [sys.executable, "-m", "vtrix", "sandbox", "--host", "0.0.0.0", "--port", "0"]
    proc = subprocess.Popen(
        [*cmd, "--api-key", "sk-sandbox-key-9"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        r = vtrix("models", "spec", "kirin_v3_i2v", env={"VTRIX_BASE_URL": url})
        assert r.code == 0 and "live spec is not reachable" not in r.err
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def test_filters_are_case_insensitive_through_the_cli(vtrix, sandbox):
    from conftest import env_for

    upper = vtrix("models", "list", "--type", "VIDEO", "-o", "id", env=env_for(sandbox))
    lower = vtrix("models", "list", "--type", "video", "-o", "id", env=env_for(sandbox))
    assert upper.code == 0 and upper.out == lower.out and "kirin_v3_i2v" in upper.out
    task = vtrix("models", "list", "--type", "Text-To-Image", "-o", "id", env=env_for(sandbox))
    assert "bytedance/seedream-4.5-t2i" in task.out and "kirin_v3_i2v" not in task.out
