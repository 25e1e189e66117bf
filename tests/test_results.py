"""Results in and out: safe names, never overwriting, atomic and resumable downloads, the URL
policy, size caps, local files as inputs. Against the sandbox and a hostile gateway."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import CANARY, env_for
from hostile import Reply, vtrix_task

from vtrix.errors import DownloadRefused
from vtrix.files.download import extension
from vtrix.files.policy import UrlPolicy, safe_stem
from vtrix.http.transport import PeerRefused
from vtrix.sandbox import media

RUN = ["run", "kirin_v3_i2v", "--param", "image_url=https://example.com/a.jpg"]
SUBMIT = "/model/v1/generation"
TASK = r"/model/v1/generation/task/.*"
PNG = media.png(16, 16, b"\x01" * 32)


def files_in(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def serve_result(gw, task_id: str, file_reply: Reply | None = None) -> None:
    """A task that completes at once with one result file served by the gateway itself."""
    gw.on("POST", SUBMIT, Reply(json=vtrix_task(task_id, "in_progress")))
    output = [{"content": [{"type": "image", "url": f"{gw.url}/result/out"}]}]
    gw.on("GET", TASK, Reply(json={"id": task_id, "status": "completed", "output": output}))
    gw.on(
        "GET", "/result/out", file_reply or Reply(body=PNG, headers={"Content-Type": "image/png"})
    )


# ------------------------------------------------------------------------------ names


@pytest.mark.parametrize(
    "task_id", ["../../TRAVERSED", "/etc/passwd", "a/b\\c", "..", "x" * 250, ".hidden"]
)
def test_gateway_ids_never_become_paths(vtrix, hostile, tmp_path, task_id):
    serve_result(hostile, task_id)
    out = tmp_path / "out"
    r = vtrix(*RUN, "--save", str(out), env=env_for(hostile))
    assert r.code == 0, r.err
    names = files_in(out)
    assert len(names) == 1 and names[0].endswith(".png") and not names[0].startswith(".")
    assert len(names[0]) < 100
    assert (out / names[0]).read_bytes() == PNG
    # Nothing outside the folder given (vtrix's own dirs aside).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "data", "out"]
    assert not Path("/etc/passwd.png").exists()


@pytest.mark.parametrize("task_id", ["x" * 300, "ünï/çødé", "a\x00b", ". "])
def test_ids_that_are_not_ids_are_refused_not_crashed_on(vtrix, hostile, tmp_path, task_id):
    serve_result(hostile, task_id)
    r = vtrix(*RUN, "--save", str(tmp_path / "out"), env=env_for(hostile))
    assert r.code == 3 and "no usable task id" in r.err and "Traceback" not in r.err


def test_safe_stems_are_bounded_and_distinct():
    assert safe_stem("task_abc") == "task_abc"
    a, b = safe_stem("../../x"), safe_stem("..__x")
    assert a != b and "/" not in a and not a.startswith(".")
    assert len(safe_stem("y" * 300)) <= 90
    assert safe_stem("\x00").startswith("task-")


def test_extension_from_magic_then_content_type():
    assert extension(PNG, "text/html") == ".png"
    assert extension(b"\x00\x00\x00\x18ftypmp42", None) == ".mp4"
    assert extension(b"RIFF\x00\x00\x00\x00WAVEfmt ", None) == ".wav"
    assert extension(b"??", "video/webm; codecs=vp9") == ".webm"
    assert extension(b"??", "application/x-whatever") == ".bin"


def test_never_overwrites_and_never_follows_a_symlink(vtrix, hostile, tmp_path):
    serve_result(hostile, "task_s")
    out = tmp_path / "out"
    out.mkdir()
    (out / "task_s.png").write_text("mine")
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch")
    (out / "task_s_2.png").symlink_to(victim)
    r = vtrix(*RUN, "--save", str(out), env=env_for(hostile))
    assert r.code == 0, r.err
    assert (out / "task_s.png").read_text() == "mine"
    assert victim.read_text() == "do not touch"
    assert (out / "task_s_3.png").read_bytes() == PNG
    serve_result(hostile, "task_t")
    (out / "task_t.png").symlink_to(victim)
    r = vtrix(*RUN, "--save", str(out), "--overwrite", env=env_for(hostile))
    assert r.code == 0, r.err
    assert not (out / "task_t.png").is_symlink() and (out / "task_t.png").read_bytes() == PNG
    assert victim.read_text() == "do not touch"


# --------------------------------------------------------------------- atomic, resumable


def test_a_cut_download_leaves_no_file_and_task_get_resumes_it(vtrix, sandbox, tmp_path):
    out = tmp_path / "out"
    sandbox.faults(files={"cut_after": 3000})
    r = vtrix(*RUN, "-o", "url", "--save", str(out), env=env_for(sandbox))
    assert r.code == 75, r.err
    url = r.out.strip()
    assert url.startswith(sandbox.url)  # the result URL is printed even so
    task_id = sandbox.stats()["tasks"][0]
    assert f"vtrix task get {task_id} --save {out}" in r.err
    assert "run the task again" in r.err  # …never
    assert not [n for n in files_in(out) if not n.startswith(".")]  # nothing at a final name
    part = out / f".{task_id}.vtrix-part"
    assert 0 < part.stat().st_size <= 3000
    sandbox.faults(files={})
    g = vtrix("task", "get", task_id, "--save", str(out), env=env_for(sandbox))
    assert g.code == 0, g.err
    with urllib.request.urlopen(url) as resp:
        whole = resp.read()
    assert (out / f"{task_id}.mp4").read_bytes() == whole
    assert files_in(out) == [f"{task_id}.mp4"]
    routes = sandbox.stats()["routes"]
    # Saving again fetches nothing: the ledger knows the file is there.
    before = routes.get("files", 0)
    assert vtrix("task", "get", task_id, "--save", str(out), env=env_for(sandbox)).code == 0
    assert sandbox.stats()["routes"].get("files", 0) == before
    assert files_in(out) == [f"{task_id}.mp4"]


def test_resume_sends_range_and_if_range(vtrix, hostile, tmp_path):
    body = PNG * 50
    etag = '"v1"'
    serve_result(
        hostile,
        "task_r",
        Reply(body=body, headers={"Content-Type": "image/png", "ETag": etag}, reset_after=1000),
    )
    out = tmp_path / "out"
    assert vtrix(*RUN, "--save", str(out), env=env_for(hostile)).code == 75

    def ranged(req):
        assert req.headers.get("range") == "bytes=1000-" and req.headers.get("if-range") == etag
        return Reply(
            206,
            body=body[1000:],
            headers={"Content-Range": f"bytes 1000-{len(body) - 1}/{len(body)}", "ETag": etag},
        )

    hostile.on("GET", "/result/out", ranged)
    r = vtrix("task", "get", "task_r", "--save", str(out), env=env_for(hostile))
    assert r.code == 0, r.err
    assert (out / "task_r.png").read_bytes() == body


def test_ctrl_c_while_saving_keeps_the_part_and_says_how_to_resume(vtrix, make_sandbox, tmp_path):
    sb = make_sandbox(task_seconds=0.2)
    sb.faults(files={"drip": 0.2})
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "vtrix", *RUN, "--save", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env_for(sb)},
    )
    deadline = time.monotonic() + 20
    while not list(out.glob(".*.vtrix-part")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    stdout, err = proc.communicate(timeout=20)
    task_id = sb.stats()["tasks"][0]
    assert proc.returncode == 130, err
    assert f"vtrix task get {task_id} --save" in err and "/files/" in stdout
    assert list(out.glob(".*.vtrix-part")) and not list(out.glob("*.mp4"))


# ---------------------------------------------------------------------- checked early


@pytest.mark.parametrize("where", ["/proc/nope/x", "FILE"])
def test_an_unusable_save_dir_is_exit_2_before_anything_is_sent(vtrix, sandbox, tmp_path, where):
    if where == "FILE":
        where = str(tmp_path / "a-file")
        Path(where).write_text("x")
    r = vtrix(*RUN, "--save", where, env=env_for(sandbox))
    assert r.code == 2 and "nothing was sent" in r.err and "Traceback" not in r.err
    assert sandbox.stats()["tasks_created"] == 0


def test_no_wait_with_save_is_a_usage_error(vtrix, sandbox, tmp_path):
    r = vtrix(*RUN, "--no-wait", "--save", str(tmp_path), env=env_for(sandbox))
    assert r.code == 2 and "--no-wait" in r.err
    assert sandbox.stats()["tasks_created"] == 0


# ------------------------------------------------------------------------ URL policy


@pytest.mark.parametrize(
    "url,why",
    [
        ("file:///etc/passwd", "scheme 'file'"),
        ("ftp://example.com/x.png", "scheme 'ftp'"),
        ("http://example.com/x.png", "plain http"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://10.1.2.3/x.png", "private"),
    ],
)
def test_result_urls_outside_the_policy_are_refused(vtrix, hostile, tmp_path, url, why):
    hostile.on("POST", SUBMIT, Reply(json=vtrix_task("task_u", "in_progress")))
    output = [{"content": [{"type": "image", "url": url}]}]
    hostile.on("GET", TASK, Reply(json={"id": "task_u", "status": "completed", "output": output}))
    r = vtrix(*RUN, "-o", "url", "--save", str(tmp_path / "o"), env=env_for(hostile))
    assert r.code == 1, r.err
    assert why in r.err and r.out.strip() == url


def test_the_peer_check_refuses_private_addresses_unless_allowed():
    strict, lenient = UrlPolicy(), UrlPolicy(allow_private=True)
    for address in ("10.0.0.1", "192.168.1.1", "169.254.169.254", "fe80::1", "0.0.0.0"):
        with pytest.raises(PeerRefused):
            strict.check_peer(address)
        lenient.check_peer(address)
    strict.check_peer("127.0.0.1")
    strict.check_peer("93.184.216.34")
    with pytest.raises(DownloadRefused):
        strict.check_url("https://[fd00::1]/x")


def test_an_expired_result_url_says_how_to_get_a_fresh_one(vtrix, hostile, tmp_path):
    serve_result(hostile, "task_e", Reply(410, body="gone"))
    r = vtrix(*RUN, "--save", str(tmp_path / "o"), env=env_for(hostile))
    assert r.code == 1, r.err
    assert "expired" in r.err and "vtrix task get task_e" in r.err
    assert "parameter" not in r.err


def test_the_size_cap(vtrix, hostile, tmp_path):
    serve_result(hostile, "task_big", Reply(body=PNG * 100, headers={"Content-Type": "image/png"}))
    r = vtrix(
        *RUN, "--save", str(tmp_path / "o"), "--max-download-size", "1K", env=env_for(hostile)
    )
    assert r.code == 1 and "over the 1.0 KB limit" in r.err
    bad = vtrix(
        *RUN, "--save", str(tmp_path / "o"), "--max-download-size", "lots", env=env_for(hostile)
    )
    assert bad.code == 2


def test_download_progress_shows_on_a_terminal_only():
    from vtrix.cli.output import Reporter

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    r = Reporter(tty)
    r.transfer("task_1", 512 * 1024, 1024 * 1024)
    r.transfer("task_1", 1024 * 1024, 1024 * 1024)
    text = tty.getvalue()
    assert "saving task_1" in text and "1.0 MB / 1.0 MB" in text and "/s" in text
    plain = io.StringIO()
    Reporter(plain).transfer("task_1", 1, 2)
    Reporter(Tty(), quiet=True).transfer("task_1", 1, 2)
    assert plain.getvalue() == ""


def test_sdk_result_save(home, sandbox, tmp_path):
    from vtrix import Client

    client = Client(api_key=CANARY, base_url=sandbox.url)
    result = client.run("kirin_v3_i2v", image_url="https://example.com/a.jpg", timeout=30)
    paths = client.save(result, tmp_path / "sdk")
    assert len(paths) == 1 and paths[0].endswith(".mp4") and Path(paths[0]).stat().st_size > 100
    assert result.files == paths
    assert client.ledger is not None
    assert client.ledger.by_task(result.id).files == paths


# --------------------------------------------------------------------- local files in


def _png_file(tmp_path: Path) -> Path:
    path = tmp_path / "cat.png"
    path.write_bytes(PNG)
    return path


def test_a_local_file_is_uploaded_and_its_url_sent(vtrix, sandbox, tmp_path):
    cat = _png_file(tmp_path)
    r = vtrix(
        "run",
        "kling/kling-v1.6-i2v",
        "--image",
        f"@{cat}",
        "--param",
        "prompt=go",
        "--no-wait",
        env=env_for(sandbox),
    )
    assert r.code == 0, r.err
    sent = sandbox.stats()["task_times"][r.out.strip()]["params"]
    assert sent["image"].startswith(f"{sandbox.url}/uploads/")
    with urllib.request.urlopen(sent["image"]) as resp:
        assert resp.read() == PNG


def test_dry_run_names_the_files_and_uploads_nothing(vtrix, sandbox, tmp_path):
    cat = _png_file(tmp_path)
    r = vtrix(
        "--dry-run",
        "run",
        "google/nano-banana-edit",
        "--param",
        "prompt=x",
        "--param",
        f'image=["@{cat}"]',
        env=env_for(sandbox),
    )
    # A JSON array is JSON: no @ there (the value would be paid for as a "URL": refused).
    # The repeatable typed option takes files.
    assert r.code == 2 and "uploaded first" in r.err, r.err
    assert "would upload" not in r.out
    r = vtrix(
        "--dry-run",
        "run",
        "google/nano-banana-edit",
        "--prompt",
        "x",
        "--image",
        f"@{cat}",
        "--image",
        "https://example.com/b.png",
        env=env_for(sandbox),
    )
    assert r.code == 0, r.err
    assert f"[dry-run] would upload {cat} (image/png" in r.out
    body = json.loads(r.out.split("\n", 2)[2])
    assert body["image"] == [f"@{cat}", "https://example.com/b.png"]
    assert sandbox.stats()["routes"].get("modellix.upload", 0) == 0


def test_double_at_is_a_literal_at(vtrix, sandbox):
    r = vtrix(
        "--dry-run",
        "run",
        "kling/kling-v1.6-i2v",
        "--image",
        "@@handle",
        "--param",
        "prompt=go",
        env=env_for(sandbox),
    )
    assert r.code == 0 and json.loads(r.out.split("\n", 1)[1])["image"] == "@handle"


def test_local_files_are_checked_before_anything_is_sent(vtrix, sandbox, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    r = vtrix(
        "run",
        "kling/kling-v1.6-i2v",
        "--image",
        f"@{text}",
        "--image-tail",
        f"@{tmp_path / 'missing.png'}",
        "--param",
        "prompt=go",
        env=env_for(sandbox),
    )
    assert r.code == 2, r.err
    assert "not an image, video or audio file" in r.err and "cannot read the local file" in r.err
    assert sandbox.stats()["routes"].get("modellix.upload", 0) == 0


def test_a_gateway_without_upload_route_is_exit_2_naming_those_with_one(vtrix, sandbox, tmp_path):
    cat = _png_file(tmp_path)
    r = vtrix("run", "kirin_v3_i2v", "--image-url", f"@{cat}", env=env_for(sandbox))
    assert r.code == 2 and "vtrix has no upload route" in r.err and "Modellix" in r.err


def test_sdk_accepts_a_path(home, sandbox, tmp_path):
    from vtrix import Client
    from vtrix.models import kling_kling_v1_6_i2v

    client = Client(api_key=CANARY, base_url=sandbox.url)
    task = kling_kling_v1_6_i2v.submit(image=_png_file(tmp_path), prompt="go", client=client)
    sent = sandbox.stats()["task_times"][task.id]["params"]
    assert sent["image"].startswith(f"{sandbox.url}/uploads/")


# ----------------------------------------------------------------------- the sandbox


def test_sandbox_files_answer_range_and_etag(vtrix, sandbox):
    r = vtrix(*RUN, "-o", "url", env=env_for(sandbox))
    url = r.out.strip()
    with urllib.request.urlopen(url) as resp:
        whole, etag = resp.read(), resp.headers["ETag"]
    assert etag
    req = urllib.request.Request(url, headers={"Range": "bytes=100-", "If-Range": etag})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 206 and resp.read() == whole[100:]
        assert resp.headers["Content-Range"] == f"bytes 100-{len(whole) - 1}/{len(whole)}"
    req = urllib.request.Request(url, headers={"Range": "bytes=100-", "If-Range": '"other"'})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 200 and resp.read() == whole
    req = urllib.request.Request(url, headers={"Range": f"bytes={len(whole)}-"})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req)
    assert exc.value.code == 416
