"""The sandbox answers both protocols as protocols.md says: per route, status codes,
envelopes and headers; results are real media files."""

from __future__ import annotations

import subprocess
import sys
import time

import requests
from conftest import CANARY
from virtual_time import CLOCK

from vtrix.sandbox.media import ffmpeg_exe

AUTH = {"Authorization": f"Bearer {CANARY}"}


def test_vtrix_catalog_pages_and_filters(sandbox):
    """The catalog is the snapshot's, whole (60 vtrix models; 3 of them with a spec)."""
    r = requests.get(f"{sandbox.url}/api/v1/skill/models", params={"page": 2, "page_size": 2})
    body = r.json()
    assert r.status_code == 200 and body["status"] == {"code": 0, "message": "ok"}
    data = body["data"]
    assert (data["total"], data["page"], data["page_size"], data["total_pages"]) == (60, 2, 2, 30)
    assert len(data["models"]) == 2
    assert set(data["models"][0]) >= {
        "id",
        "name",
        "type",
        "description",
        "input_modalities",
        "output_modalities",
    }
    video = requests.get(
        f"{sandbox.url}/api/v1/skill/models", params={"type": "VIDEO", "keywords": "KIRIN"}
    ).json()["data"]
    found = {m["id"] for m in video["models"]}
    assert {"kirin_v3_i2v", "kirin_v2_6_i2v"} <= found
    assert all("kirin" in m["id"] and m["type"] == "video" for m in video["models"])
    for spec_id in ("kirin_v3_i2v", "kirin_v2_6_i2v"):
        spec = requests.get(f"{sandbox.url}/api/v1/skill/models/{spec_id}/spec")
        assert spec.status_code == 200
    bad = requests.get(f"{sandbox.url}/api/v1/skill/models", params={"page": "abc"})
    assert bad.status_code == 400 and bad.json()["status"]["code"] == 400
    assert "page must be a whole number" in bad.json()["status"]["message"]


def test_vtrix_spec_and_unknown(sandbox):
    ok = requests.get(f"{sandbox.url}/api/v1/skill/models/kirin_v3_i2v/spec").json()
    assert ok["data"]["model_id"] == "kirin_v3_i2v"
    assert ok["data"]["api"]["endpoint"].endswith("/model/v1/generation")
    missing = requests.get(f"{sandbox.url}/api/v1/skill/models/nope/spec")
    assert missing.status_code == 404 and missing.json()["status"]["code"] == 404


def test_vtrix_submit_both_body_forms_and_task_lifecycle(sandbox):
    url = f"{sandbox.url}/model/v1/generation"
    a = requests.post(
        url, json={"model": "kirin_v3_i2v", "params": {"image_url": "u"}}, headers=AUTH
    ).json()
    b = requests.post(
        url, json={"model": "kirin_v3_i2v", "input": [{"params": {"image_url": "u"}}]}, headers=AUTH
    ).json()
    for task in (a, b):
        assert task["id"].startswith("task_") and task["status"] == "in_progress"
        assert 0 <= task["progress"] < 100
    CLOCK.sleep(0.8)
    done = requests.get(f"{url}/task/{a['id']}", headers=AUTH).json()
    assert done["status"] == "completed" and done["progress"] == 100
    content = done["output"][0]["content"][0]
    assert content["type"] == "video" and content["url"].startswith(sandbox.url)
    assert done["usage"]["cost"] == "0.30"
    assert requests.get(f"{url}/task/task_nope", headers=AUTH).status_code == 404


def test_vtrix_errors_carry_message(sandbox):
    url = f"{sandbox.url}/model/v1/generation"
    no_key = requests.post(url, json={"model": "kirin_v3_i2v", "params": {}})
    assert no_key.status_code == 401 and "message" in no_key.json()
    bad = requests.post(
        url, json={"model": "kirin_v3_i2v", "params": {"duration": 99}}, headers=AUTH
    )
    assert bad.status_code == 400
    assert "duration" in bad.json()["message"] and "image_url" in bad.json()["message"]


def test_modellix_routes(sandbox):
    base = sandbox.url
    assert requests.get(f"{base}/api/v1/models").status_code == 401  # the key, as everywhere
    cat = requests.get(f"{base}/api/v1/models", headers=AUTH).json()
    assert len(cat["models"]) == 245 and set(cat["models"][0]) == {
        "slug",
        "type",
        "description",
        "docs_url",
    }
    assert {m["type"] for m in cat["models"]} >= {"text-to-image", "image-to-video"}
    schema = requests.get(f"{base}/models/bytedance/seedream-4.5-t2i/api_schema").json()
    assert schema["post"]["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "prompt"
    ]
    # A catalog model whose parameters are not published has no api_schema (as committed).
    unknown = requests.get(f"{base}/models/alibaba/qwen-image-edit/api_schema")
    assert unknown.status_code == 404
    assert requests.get(f"{base}/models/nobody/nothing/api_schema").status_code == 404
    for path in ("/api/v1/bytedance/seedream-4.5-t2i/async", "/api/v1/bytedance/seedream-4.5-t2i"):
        r = requests.post(base + path, json={"prompt": "cat"}, headers=AUTH).json()
        assert r["code"] == 0 and r["message"] == "success"
        assert r["data"]["status"] == "pending" and r["data"]["task_id"].startswith("task-")
        assert r["data"]["get_result"]["url"].endswith(r["data"]["task_id"])
    bad = requests.post(f"{base}/api/v1/bytedance/seedream-4.5-t2i/async", json={}, headers=AUTH)
    assert bad.status_code == 400 and bad.json()["code"] == 400
    assert bad.json()["message"].startswith("Invalid Parameter:")
    unauth = requests.get(f"{base}/api/v1/tasks/x")
    assert unauth.status_code == 401 and unauth.json() == {
        "code": 401,
        "message": "Unauthorized: API key is missing",
    }
    assert requests.get(f"{base}/api/v1/apikey/validate", headers=AUTH).json()["data"] == {
        "is_valid": True
    }
    assert "balance" in requests.get(f"{base}/api/v1/team/balance", headers=AUTH).json()["data"]
    up = requests.post(
        f"{base}/api/v1/media/files", files={"file": ("a.png", b"\x89PNG")}, headers=AUTH
    ).json()["data"]
    assert up["size"] == 4 and up["filename"] == "a.png"
    assert requests.get(up["url"]).content == b"\x89PNG"


def test_modellix_task_lifecycle_and_media(sandbox):
    base = sandbox.url
    tid = requests.post(
        f"{base}/api/v1/bytedance/seedream-4.5-t2i/async",
        json={"prompt": "cat", "size": "2048x1024"},
        headers=AUTH,
    ).json()["data"]["task_id"]
    first = requests.get(f"{base}/api/v1/tasks/{tid}", headers=AUTH).json()["data"]
    assert first["status"] in ("pending", "processing")
    CLOCK.sleep(0.8)
    data = requests.get(f"{base}/api/v1/tasks/{tid}", headers=AUTH).json()["data"]
    assert data["status"] == "success" and data["result_expires_at"] > time.time() * 1000
    res = data["result"]["resources"][0]
    png = requests.get(res["url"])
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert (res["width"], res["height"]) == (128, 64)


def test_video_is_a_real_mp4_and_deterministic(sandbox):
    url = f"{sandbox.url}/model/v1/generation"
    ids = [
        requests.post(
            url,
            json={"model": "kirin_v3_i2v", "params": {"image_url": "u", "duration": 3}},
            headers=AUTH,
        ).json()["id"]
        for _ in range(2)
    ]
    CLOCK.sleep(1.0)
    blobs = []
    for tid in ids:
        task = requests.get(f"{url}/task/{tid}", headers=AUTH).json()
        blobs.append(requests.get(task["output"][0]["content"][0]["url"]).content)
    assert blobs[0] == blobs[1] and blobs[0][4:8] == b"ftyp"
    probe = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", "-", "-f", "null", "-"],
        input=blobs[0],
        capture_output=True,
    )
    assert probe.returncode == 0 and b"h264" in probe.stderr


def test_expired_result_url(sandbox):
    url = f"{sandbox.url}/model/v1/generation"
    tid = requests.post(url, json={"model": "spark_dance_v2_0", "params": {}}, headers=AUTH).json()[
        "id"
    ]
    CLOCK.sleep(0.8)
    assert requests.get(f"{sandbox.url}/files/{tid}/output.mp4?expires=1").status_code == 410


def test_rate_limit_headers(make_sandbox):
    sb = make_sandbox(rate_limit=2)
    for _ in range(2):
        ok = requests.get(f"{sb.url}/api/v1/team/balance", headers=AUTH)
        assert ok.status_code == 200 and "X-RateLimit-Remaining" in ok.headers
    r = requests.get(f"{sb.url}/api/v1/team/balance", headers=AUTH)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1 and r.headers["X-RateLimit-Limit"] == "2"
    assert r.json()["code"] == 429


def test_fault_injection_and_stats(sandbox):
    sandbox.faults(vtrix_catalog={"error_rate": 1.0})
    assert requests.get(f"{sandbox.url}/api/v1/skill/models").status_code == 500
    sandbox.faults(vtrix_catalog={"drop_rate": 1.0})
    try:
        requests.get(f"{sandbox.url}/api/v1/skill/models", timeout=5)
        dropped = False
    except requests.ConnectionError:
        dropped = True
    assert dropped
    assert sandbox.stats()["routes"]["vtrix.catalog"] == 2


def test_sandbox_process_prints_url_first_and_stops_on_sigterm(home):
    import signal

    proc = subprocess.Popen(
        [sys.executable, "-m", "vtrix", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline().strip()
    assert line.startswith("http://127.0.0.1:") and line.count(":") == 2
    assert requests.get(f"{line}/api/v1/skill/models").status_code == 200
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert "VTRIX_BASE_URL" in proc.stderr.read()


def test_audio_is_a_real_wav_and_slow_fault_delays(sandbox):
    import io
    import wave

    sandbox.faults(modellix_submit={"slow": 0.4})
    t0 = time.monotonic()
    tid = requests.post(
        f"{sandbox.url}/api/v1/alibaba/qwen-audio-3.0-tts-flash/async",
        json={"text": "hello", "voice": "Cherry"},
        headers=AUTH,
    ).json()["data"]["task_id"]
    assert time.monotonic() - t0 >= 0.4
    CLOCK.sleep(0.8)
    data = requests.get(f"{sandbox.url}/api/v1/tasks/{tid}", headers=AUTH).json()["data"]
    blob = requests.get(data["result"]["resources"][0]["url"]).content
    with wave.open(io.BytesIO(blob)) as w:
        assert w.getnchannels() == 1 and w.getframerate() == 16000 and w.getnframes() > 0
