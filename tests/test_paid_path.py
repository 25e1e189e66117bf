"""The paid path under hostility (issue 18): never paid twice, never lost, never hung, never
leaked. Each test here failed on the code before it; submits are counted at the sandbox or
the hostile gateway over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, env_for


def _lines(n: int, *, keyed: bool = False, start: int = 0) -> list[dict[str, Any]]:
    out = []
    for i in range(start, start + n):
        line: dict[str, Any] = {
            "model": "kirin_v3_i2v",
            "params": {"image_url": f"https://e.com/{i}.jpg"},
        }
        if keyed:
            line["key"] = f"k{i}"
        out.append(line)
    return out


def _write(path: Path, lines: list[dict[str, Any]], newline: str = "\n") -> Path:
    path.write_bytes("".join(json.dumps(x) + newline for x in lines).encode())
    return path


# --------------------------------------------------------------------------- paid twice


def test_1_an_edited_batch_submits_only_lines_never_submitted(vtrix: Any, sandbox: Any, tmp_path):
    """11 lines (one invalid, skipped) run; then the invalid one fixed, one appended and the
    file turned to CRLF: the rerun sends exactly the two new lines."""
    lines = _lines(11)
    lines[4]["params"]["duration"] = 99  # out of range: skipped
    src = _write(tmp_path / "in.jsonl", lines)
    first = vtrix("batch", str(src), "--skip-invalid", "-q", env=env_for(sandbox))
    assert first.code == 1 and "1 invalid, 10 succeeded" in first.out, first.err
    assert sandbox.stats()["tasks_created"] == 10
    lines[4]["params"]["duration"] = 6
    lines.append(_lines(1, start=11)[0])
    _write(src, lines, newline="\r\n")
    again = vtrix("batch", str(src), "-q", env=env_for(sandbox))
    assert again.code == 0, again.err
    assert sandbox.stats()["tasks_created"] == 12  # 10 + the fixed line + the new one
    # Identical lines are separate tasks (five samples of one prompt are five tasks).
    dupes = _write(tmp_path / "dupes.jsonl", _lines(1) * 3)
    assert vtrix("batch", str(dupes), "-q", env=env_for(sandbox)).code == 0
    assert sandbox.stats()["tasks_created"] == 12 + 2  # line 0 was paid already: 2 more
    # A line is known by its key wherever it stands.
    keyed = _write(tmp_path / "keyed.jsonl", _lines(3, keyed=True, start=100))
    assert vtrix("batch", str(keyed), "-q", env=env_for(sandbox)).code == 0
    _write(keyed, list(reversed(_lines(3, keyed=True, start=100))))
    assert vtrix("batch", str(keyed), "-q", env=env_for(sandbox)).code == 0
    assert sandbox.stats()["tasks_created"] == 14 + 3


def test_1_three_batch_processes_on_one_file_never_double_pay(
    make_sandbox: Any, tmp_path: Path, home: Path
) -> None:
    sb = make_sandbox(task_seconds=0.3)
    # Slow submits keep lines "submitting" long enough for the three to meet on them.
    sb.faults(vtrix_submit={"slow": 0.5})
    src = _write(tmp_path / "in.jsonl", _lines(30))
    env = {**os.environ, **env_for(sb)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "vtrix", "batch", str(src), "--concurrency", "10"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    assert sb.stats()["tasks_created"] == 30, outs
    assert codes == [0, 0, 0], [o[1][-800:] for o in outs]
    assert all("30 succeeded" in o[0] for o in outs), [o[0] for o in outs]
    # Lines another process held were waited for and said so — never "outcome unknown".
    assert any("another vtrix process is sending it" in o[1] for o in outs)
    assert not any("unknown" in o[0].lower() + o[1].lower() for o in outs)


def test_1_the_idempotency_key_derives_from_the_line():
    from vtrix.batch.input import Line, line_keys

    a = Line(1, "m", params={"x": 1, "y": [1, 2]})
    b = Line(7, "m", params={"y": [1, 2], "x": 1})  # same params, other order and place
    c = Line(9, "m", params={"x": 2})
    keys = line_keys([a, b, c])
    assert keys[1] != keys[7] and keys[7] == keys[1] + "-2"  # the second of two identical
    assert line_keys([b])[7] == keys[1]  # alone, the same line has the same key
    assert keys[9] != keys[1]
    k1, k2 = Line(1, "m", params={"x": 1}, key="a"), Line(2, "m", params={"x": 1}, key="a")
    assert len(set(line_keys([k1, k2]).values())) == 1  # a repeated key is one task
    # A key never makes other content the same line: other parameters are another line.
    k3 = Line(3, "m", params={"x": 2}, key="a")
    assert line_keys([k1, k3])[3] != line_keys([k1])[1]
    # Keys "1" in two files with other content are two lines.
    assert line_keys([Line(1, "m", {"p": "a"}, key="1")]) != line_keys(
        [Line(1, "n", {"p": "b"}, key="1")]
    )
    assert all(k.startswith("vtrix-line-") for k in keys.values())


def _wait_for(predicate: Any, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not predicate() and time.monotonic() < end:
        time.sleep(0.05)


# ------------------------------------------------------------------ no ledger, no submit

RUN = ["run", "kirin_v3_i2v", "--param", "image_url=https://example.com/a.jpg"]


def _refused(r: Any, gw: Any, what: str) -> None:
    assert r.code == 2, (r.code, r.err)
    assert "ledger.sqlite3 cannot be used" in r.err and what in r.err, r.err
    assert "nothing was sent" in r.err
    assert gw.count("POST") == 0


def test_2_a_directory_where_the_ledger_should_be_refuses_the_submit(vtrix, hostile, home):
    (home / "data" / "ledger.sqlite3").mkdir(parents=True)
    _refused(vtrix(*RUN, env=env_for(hostile)), hostile, "not a regular file")
    listed = vtrix("task", "list", env=env_for(hostile))
    assert listed.code == 2 and "cannot be used" in listed.err  # never an empty table


def test_2_a_ledger_locked_past_a_few_seconds_refuses_the_submit(vtrix, hostile, home, monkeypatch):
    import sqlite3

    from vtrix.store import sqlite as sqlite_store
    from vtrix.store.ledger import Ledger

    monkeypatch.setattr(sqlite_store, "LOCK_WAIT", 1.0)  # 5 s in use
    LOCK_WAIT = sqlite_store.LOCK_WAIT

    path = home / "data" / "ledger.sqlite3"
    Ledger(path).check()  # a real ledger
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        # The lock is let go only after the command returned: returning at all is the proof
        # that the submit gave up on it (the order of events, not a stopwatch).
        r = vtrix(*RUN, env=env_for(hostile))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _refused(r, hostile, f"held its lock for over {LOCK_WAIT:g}s")


def test_2_a_ledger_from_a_newer_vtrix_refuses_the_submit(vtrix, hostile, home):
    import sqlite3

    from vtrix.store.ledger import Ledger

    path = home / "data" / "ledger.sqlite3"
    Ledger(path).check()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    _refused(vtrix(*RUN, env=env_for(hostile)), hostile, "newer vtrix")


def test_2_a_read_only_or_full_disk_refuses_the_submit(vtrix, hostile, home, monkeypatch):
    """Simulated at the write seam (this suite runs as root, so permissions cannot make a
    directory read-only, and no small file system is mounted): SQLite's own errors."""
    import sqlite3

    from vtrix.store import ledger as ledger_mod

    real = ledger_mod.Ledger._begin
    for message, words in (
        ("attempt to write a readonly database", "read-only"),
        ("database or disk is full", "disk is full"),
    ):

        def failing(self: Any, *a: Any, _m: str = message, **k: Any) -> Any:
            raise sqlite3.OperationalError(_m)

        monkeypatch.setattr(ledger_mod.Ledger, "_begin", failing)
        _refused(vtrix(*RUN, env=env_for(hostile)), hostile, words)
    monkeypatch.setattr(ledger_mod.Ledger, "_begin", real)


def test_7_a_fifo_for_the_ledger_or_the_config_is_refused_at_once(cli, hostile, home):
    (home / "data").mkdir(parents=True, exist_ok=True)
    os.mkfifo(home / "data" / "ledger.sqlite3")
    r = cli(*RUN, env=env_for(hostile), timeout=20)
    _refused(r, hostile, "not a regular file")
    os.unlink(home / "data" / "ledger.sqlite3")
    (home / "config").mkdir(parents=True, exist_ok=True)
    os.mkfifo(home / "config" / "config.json")
    r = cli(*RUN, env=env_for(hostile), timeout=20)
    assert r.code == 2 and "config.json is not a regular file" in r.err, r.err
    assert hostile.count("POST") == 0


def test_2_text_in_a_numeric_column_never_crashes_task_list(vtrix, sandbox, home):
    import sqlite3

    assert vtrix(*RUN, "--no-wait", env=env_for(sandbox)).code == 0
    with sqlite3.connect(home / "data" / "ledger.sqlite3") as db:
        db.execute("UPDATE tasks SET created_at = 'yesterday', completed_at = 'x', line = 'y'")
    for args in (["task", "list"], ["task", "list", "-o", "json"]):
        r = vtrix(*args, env=env_for(sandbox))
        assert r.code == 0 and "task_" in r.out, r.err


def test_2_a_garbage_history_file_is_set_aside(vtrix, sandbox, home):
    (home / "data").mkdir(parents=True, exist_ok=True)
    (home / "data" / "history.jsonl").write_bytes(b"\xff\xfe\x00garbage\x80\n")
    r = vtrix(*RUN, "--no-wait", env=env_for(sandbox))
    assert r.code == 0, r.err
    assert "history.jsonl is not a readable history file" in r.err
    assert any(p.name.startswith("history.jsonl.corrupt-") for p in (home / "data").iterdir())


# ------------------------------------------------------- unusable answers to a paid submit

DEEP = "[" * 100_000 + "]" * 100_000
SUBMIT, TASK = "/model/v1/generation", r"/model/v1/generation/task/.*"


def test_3_any_unusable_submit_answer_is_outcome_unknown_with_the_key(vtrix, hostile, home):
    from hostile import Reply

    answers = [
        Reply(body=DEEP),
        Reply(body=b"\xff\xfenot json"),
        Reply(json={"id": {"nested": 1}, "status": "in_progress"}),
        Reply(json=[1, 2, 3]),
    ]
    for n, answer in enumerate(answers, 1):
        hostile.on("POST", SUBMIT, answer)
        r = vtrix(*RUN, "-o", "json", env=env_for(hostile))
        assert r.code == 3, (n, r.err)
        doc = json.loads(r.out)  # exactly one JSON object on stdout
        assert doc["id"] is None and doc["status"] == "unknown"
        assert doc["error"]["code"] == "outcome_unknown"
        assert doc["idempotency_key"] and doc["idempotency_key"] in r.err
        kept = list((home / "data" / "answers").iterdir())
        assert len(kept) == n  # the answer is kept, privately
        assert all(os.stat(k).st_mode & 0o077 == 0 for k in kept)
    assert hostile.count("POST") == len(answers)  # each sent once, never again


def test_3_one_unusable_answer_does_not_kill_a_batch(vtrix, hostile, tmp_path):
    from hostile import Reply, vtrix_task

    def submit(req: Any) -> Reply:
        url = req.json()["params"]["image_url"]
        if url.endswith("/1.jpg"):
            return Reply(body=DEEP)
        return Reply(json=vtrix_task(f"task_{url[-5]}", "in_progress"))

    hostile.on("POST", SUBMIT, submit)
    hostile.on("GET", TASK, lambda req: Reply(json=vtrix_task(req.path.rsplit("/", 1)[1])))
    src = _write(tmp_path / "in.jsonl", _lines(4))
    out = tmp_path / "results.jsonl"
    r = vtrix("batch", str(src), "--results", str(out), env=env_for(hostile))
    assert r.code == 3, r.err
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted(x["status"] for x in rows) == ["succeeded"] * 3 + ["unknown"]


def test_3_an_unusable_poll_answer_is_a_clear_error_and_keeps_the_task(vtrix, hostile, home):
    from hostile import Reply, vtrix_task

    hostile.on("POST", SUBMIT, Reply(json=vtrix_task("task_1", "in_progress")))
    hostile.on("GET", TASK, Reply(body=DEEP))
    r = vtrix(*RUN, env=env_for(hostile))
    assert r.code == 1 and "nested too deeply" in r.err and "task_1" in r.err, r.err
    listed = json.loads(vtrix("task", "list", "-o", "json", env=env_for(hostile)).out)
    assert [t["id"] for t in listed] == ["task_1"]


# ------------------------------------------------------------------ secrets and files


def test_11_file_modes_whatever_the_umask(cli, sandbox, home, tmp_path):
    import stat

    old = os.umask(0)  # the child inherits it: the worst case
    try:
        src = _write(tmp_path / "in.jsonl", _lines(2))
        results = tmp_path / "results.jsonl"
        env = env_for(sandbox)
        r = cli(
            "batch", str(src), "--results", str(results), "--save", str(tmp_path / "o"), env=env
        )
        assert r.code == 0, r.err
        login = cli("auth", "login", "--with-token", input="sk-test-key-00000000\n")
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
    assert mode(home / "data") == 0o700
    ledger = home / "data" / "ledger.sqlite3"
    for p in (ledger, Path(f"{ledger}-wal"), Path(f"{ledger}-shm"), results):
        if p.exists():
            assert mode(p) == 0o600, (p, oct(mode(p)))
    for saved in (tmp_path / "o").iterdir():
        assert mode(saved) & 0o022 == 0, (saved, oct(mode(saved)))
    assert login.code == 0 and mode(home / "config") == 0o700
    assert mode(home / "config" / "config.json") == 0o600


# ---------------------------------------------------------------- downloads and uploads


def _task_with(url: str) -> dict[str, Any]:
    from hostile import vtrix_task

    done = vtrix_task("task_1")
    done["output"] = [{"content": [{"type": "image", "url": url}]}]
    return done


def test_12_a_gzip_result_is_saved_as_served_and_never_inflated(vtrix, hostile, tmp_path):
    import gzip

    from hostile import Reply, vtrix_task

    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 200_000
    packed = gzip.compress(png)
    hostile.on("POST", SUBMIT, Reply(json=vtrix_task("task_1", "in_progress")))
    hostile.on("GET", TASK, Reply(json=_task_with(f"{hostile.url}/files/o.png")))
    hostile.on("GET", r"/files/o\.png", Reply(body=packed, headers={"Content-Encoding": "gzip"}))
    r = vtrix(
        *RUN, "--save", str(tmp_path / "o"), "--max-download-size", "100K", env=env_for(hostile)
    )
    assert r.code == 0, r.err  # 200 KB inflated would be over the cap; as served it is not
    saved = list((tmp_path / "o").iterdir())
    assert len(saved) == 1 and saved[0].read_bytes() == packed
    got = next(q for q in hostile.received if q.path.startswith("/files/"))
    assert got.headers["accept-encoding"] == "identity"


def test_13_every_redirect_hop_is_checked(vtrix, hostile, tmp_path):
    from hostile import HostileGateway, Reply, vtrix_task

    with HostileGateway() as other:  # another loopback port
        other.on("GET", r"/o\.png", Reply(body=b"\x89PNG\r\n\x1a\n"))
        hostile.on("POST", SUBMIT, Reply(json=vtrix_task("task_1", "in_progress")))
        hostile.on("GET", TASK, Reply(json=_task_with(f"{hostile.url}/files/o.png")))
        hostile.on("GET", r"/files/o\.png", Reply(302, headers={"Location": f"{other.url}/o.png"}))
        r = vtrix(*RUN, "--save", str(tmp_path / "o"), env=env_for(hostile))
        assert r.code == 1 and "private or link-local" in r.err, r.err
        assert not other.received
        ok = vtrix(
            *RUN, "--save", str(tmp_path / "p"), "--allow-private-network", env=env_for(hostile)
        )
        assert ok.code == 0, ok.err
        assert len(other.received) == 1


def test_14_an_upload_url_that_is_not_https_is_never_sent_in_a_submit(vtrix, hostile, tmp_path):
    from hostile import Reply

    png = tmp_path / "cat.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    for bad in ("file:///etc/passwd", "javascript:alert(1)", "http://evil.example/x.png"):
        hostile.on(
            "POST",
            r"/api/v1/media/files",
            Reply(json={"code": 0, "data": {"file_id": "f", "url": bad}}),
        )
        r = vtrix(
            "run",
            "google/nano-banana-edit",
            "--prompt",
            "a hat",
            "--image",
            f"@{png}",
            env=env_for(hostile),
        )
        assert r.code == 1 and "not https" in r.err, (bad, r.err)
    assert not [q for q in hostile.received if q.path.startswith("/api/v1/google/")]


def test_15_the_part_file_never_follows_a_symlink_nor_blocks_on_a_fifo(vtrix, sandbox, tmp_path):
    from vtrix import Client
    from vtrix.store.config import Settings

    client = Client(settings=Settings.resolve(env=env_for(sandbox)))
    task = client.submit("kirin_v3_i2v", image_url="https://e.com/a.jpg")
    out = tmp_path / "o"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (out / f".{task.id}.vtrix-part").symlink_to(victim)
    r = vtrix("task", "wait", task.id, "--save", str(out), env=env_for(sandbox))
    assert r.code == 1 and "symlink" in r.err, r.err
    assert victim.read_text() == "keep me"
    (out / f".{task.id}.vtrix-part").unlink()
    os.mkfifo(out / f".{task.id}.vtrix-part")
    r = vtrix("task", "wait", task.id, "--save", str(out), env=env_for(sandbox))
    assert r.code == 1 and "not a regular file" in r.err, r.err


def test_10_a_key_the_gateway_echoes_is_never_stored_or_printed(vtrix, hostile, home, tmp_path):
    from conftest import CANARY
    from hostile import Reply, vtrix_task

    other = "sk-profile-only-key-5d4c3b2a1908"  # a key of another profile, not in use
    assert vtrix("auth", "login", "--profile", "p2", "--with-token", input=other + "\n").code == 0
    echoed = vtrix_task("task_1", "failed", error=f"key {CANARY} and {other} were rejected")
    echoed["model"] = f"kirin_v3_i2v?key={CANARY}"
    hostile.on("POST", SUBMIT, Reply(json=vtrix_task("task_1", "in_progress")))
    hostile.on("GET", TASK, Reply(json=echoed))
    src = _write(tmp_path / "in.jsonl", _lines(1))
    results = tmp_path / "results.jsonl"
    outs = [
        vtrix(*RUN, "-o", "json", env=env_for(hostile)),
        vtrix("batch", str(src), "--results", str(results), env=env_for(hostile)),
        vtrix("task", "list", "-o", "json", env=env_for(hostile)),
        vtrix("task", "list", env=env_for(hostile)),
    ]
    stored = [p.read_bytes() for p in (home / "data").rglob("*") if p.is_file()]
    stored.append(results.read_bytes())
    for secret in (CANARY, other):
        assert all(secret not in r.out + r.err for r in outs), secret
        assert all(secret.encode() not in blob for blob in stored), secret
    assert "[redacted]" in outs[0].out


def test_17_an_oversized_key_header_says_so(vtrix, hostile):
    from hostile import Reply

    hostile.on("POST", SUBMIT, Reply(431, json={"message": "Request Header Fields Too Large"}))
    r = vtrix(*RUN, env={**env_for(hostile), "VTRIX_API_KEY": "sk-" + "x" * 100_000})
    assert r.code == 1, r.err
    assert "too large (HTTP 431)" in r.err and "100003 characters" in r.err
    assert "not an API key" in r.err and "Fix the parameter" not in r.err


def test_16_the_sandbox_caps_uploads_and_guards_its_control_routes(make_sandbox, tmp_path):
    import urllib.error
    import urllib.request

    sb = make_sandbox(accepted_keys={"sk-sandbox-key-1"}, max_upload=1024)
    body = b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\n'
    body += b"Content-Type: image/png\r\n\r\n" + b"\0" * 200_000 + b"\r\n--b--\r\n"
    req = urllib.request.Request(
        f"{sb.url}/api/v1/media/files",
        data=body,
        headers={
            "Content-Type": "multipart/form-data; boundary=b",
            "Authorization": "Bearer sk-sandbox-key-1",
        },
    )
    try:
        urllib.request.urlopen(req)
        raise AssertionError("not refused")
    except urllib.error.HTTPError as exc:
        assert exc.code == 413
    for method, path in (("POST", "/__sandbox/reset"), ("GET", "/__sandbox/stats")):
        bare = urllib.request.Request(
            f"{sb.url}{path}", data=b"" if method == "POST" else None, method=method
        )
        try:
            urllib.request.urlopen(bare)
            raise AssertionError(f"{path} open without the key")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
    assert sb.stats()["tasks_created"] == 0  # with the key: fine


@pytest.mark.real_time  # waits out a hold kept by the database's clock
def test_8_a_429_on_a_poll_is_honoured_while_the_deadline_allows(vtrix, hostile):
    from hostile import Reply, vtrix_task

    hostile.on("POST", SUBMIT, Reply(json=vtrix_task("task_1", "in_progress")))
    slow = Reply(429, json={"message": "slow down"}, headers={"Retry-After": "1"})
    hostile.on("GET", TASK, slow, Reply(json=vtrix_task("task_1")))
    r = vtrix(*RUN, "--timeout", "10", env=env_for(hostile))
    assert r.code == 0, r.err  # waited out the second, then done
    hostile.on("GET", TASK, Reply(429, json={}, headers={"Retry-After": "120"}))
    start = time.monotonic()
    r = vtrix(*RUN, "--timeout", "3", env=env_for(hostile))
    assert r.code == 124 and "task wait task_1" in r.err, r.err
    assert "rate-limiting polls (HTTP 429, it asked to wait 120s)" in r.err
    assert time.monotonic() - start < 60  # ended long before the wait it was asked for
    hostile.on("GET", TASK, Reply(json=vtrix_task("task_1", "in_progress")))
    r = vtrix(*RUN, "--timeout", "1", env=env_for(hostile))
    assert r.code == 124 and "not answering" not in r.err and "in_progress" in r.err, r.err


# ----------------------------------------------------------------------------- signals


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "vtrix", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
    )


def test_9_sigterm_mid_submit_is_outcome_unknown_with_the_key(hostile, home):
    import signal

    from hostile import Reply

    hostile.on("POST", SUBMIT, Reply(hang=30))
    proc = _start(RUN, env_for(hostile))
    _wait_for(lambda: hostile.count("POST") > 0)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 143, err
    assert "may have created the task" in err and "idempotency key vtrix-" in err
    assert "Traceback" not in err


def test_9_sighup_mid_wait_prints_the_task_object(hostile, home):
    import signal

    from hostile import Reply, vtrix_task

    hostile.on("POST", SUBMIT, Reply(json=vtrix_task("task_1", "in_progress")))
    hostile.on("GET", TASK, Reply(json=vtrix_task("task_1", "in_progress")))
    proc = _start([*RUN, "-o", "json"], env_for(hostile))
    _wait_for(lambda: hostile.count("GET", TASK) > 0)
    proc.send_signal(signal.SIGHUP)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 129, err
    doc = json.loads(out)
    assert doc["id"] == "task_1" and doc["error"]["code"] == "interrupted"
    assert "vtrix task wait task_1" in err and "Traceback" not in err


# ------------------------------------------------------------------------------- hangs


def _timed(vtrix: Any, *args: str, env: dict[str, str]) -> tuple[Any, float]:
    start = time.monotonic()
    r = vtrix(*args, env=env)
    return r, time.monotonic() - start


def test_6_timeout_bounds_dripped_headers_a_hung_submit_and_an_endless_download(
    vtrix, hostile, tmp_path
):
    from hostile import Reply, vtrix_task

    env = env_for(hostile)
    # Response headers dripped one byte a second: each read is quick, the answer never ends.
    # (Each hostile answer below would take minutes: a command that returns within one
    # minute was ended by its deadline. No stopwatch window: the order of events.)
    hostile.on("GET", TASK, Reply(json=vtrix_task("task_1"), drip_head=1.0))
    r, took = _timed(
        vtrix, "task", "wait", "task_1", "--provider", "vtrix", "--timeout", "1", env=env
    )
    assert r.code == 124 and took < 60, (r.code, took, r.err)
    # The submit itself hangs: --timeout ends the command; the outcome is unknown (exit 3).
    hostile.on("POST", SUBMIT, Reply(hang=300))
    r, took = _timed(vtrix, *RUN, "--timeout", "1", env=env)
    assert r.code == 3 and took < 60, (r.code, took, r.err)
    assert "idempotency key" in r.err
    # An endless, slow download: ended by the deadline; the URLs are printed, with the hint.
    url = f"{hostile.url}/files/o.png"
    done = vtrix_task("task_1")
    done["output"] = [{"content": [{"type": "image", "url": url}]}]
    hostile.on("POST", SUBMIT, Reply(json=vtrix_task("task_1", "in_progress")))
    hostile.on("GET", TASK, Reply(json=done))
    hostile.on("GET", r"/files/o\.png", Reply(body=b"\x89PNG" + b"\0" * 10_000, drip=0.2))
    r, took = _timed(vtrix, *RUN, "--timeout", "1.5", "--save", str(tmp_path / "o"), env=env)
    assert r.code in (75, 124) and took < 60, (r.code, took, r.err)
    assert url in r.out and "vtrix task get task_1 --save" in r.err


# ------------------------------------------------------- a paid result never lost


def _paid_task(hostile: Any, on_poll: Any = None) -> str:
    from hostile import Reply, vtrix_task

    url = f"{hostile.url}/files/o.png"
    done = vtrix_task("task_1")
    done["output"] = [{"content": [{"type": "image", "url": url}]}]

    def poll(req: Any) -> Any:
        if on_poll is not None:
            on_poll()
        return Reply(json=done)

    hostile.on("POST", SUBMIT, Reply(json=vtrix_task("task_1", "in_progress")))
    hostile.on("GET", TASK, poll)
    hostile.on("GET", r"/files/o\.png", Reply(body=b"\x89PNG\r\n\x1a\n" + b"\0" * 64))
    return url


def test_4_the_save_directory_replaced_during_the_wait_still_prints_the_result(
    vtrix, hostile, tmp_path
):
    out = tmp_path / "o"

    def replace_dir() -> None:
        if out.is_dir():
            out.rmdir()
            out.write_text("not a directory any more")

    url = _paid_task(hostile, replace_dir)
    r = vtrix(*RUN, "--save", str(out), "-o", "url", env=env_for(hostile))
    assert r.code == 1, r.err  # not 2 "nothing was sent": it was sent, and paid
    assert r.out.strip() == url
    assert "task_1 succeeded" in r.err and "vtrix task get task_1 --save" in r.err
    assert "nothing was sent" not in r.err


def test_4_a_full_disk_while_saving_still_prints_the_result(vtrix, hostile, tmp_path, monkeypatch):
    """ENOSPC simulated at the write seam (no small file system is mounted here)."""
    import errno

    from vtrix.files import download

    url = _paid_task(hostile)

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(download.os, "write", full)
    r = vtrix(*RUN, "--save", str(tmp_path / "o"), "-o", "json", env=env_for(hostile))
    assert r.code == 1, r.err
    assert json.loads(r.out)["urls"] == [url]
    assert "No space left on device" in r.err and "vtrix task get task_1 --save" in r.err


def test_4_batch_results_file_is_checked_before_the_first_submit(vtrix, hostile, tmp_path):
    src = _write(tmp_path / "in.jsonl", _lines(2))
    r = vtrix(
        "batch", str(src), "--results", str(tmp_path / "nope" / "r.jsonl"), env=env_for(hostile)
    )
    assert r.code == 2 and "not writable" in r.err and "nothing was sent" in r.err
    assert hostile.count("POST") == 0


def test_5_a_file_in_place_of_the_result_is_never_reported_saved(vtrix, hostile, tmp_path):
    _paid_task(hostile)
    out = tmp_path / "o"
    first = vtrix(*RUN, "--save", str(out), env=env_for(hostile))
    assert first.code == 0, first.err
    (saved,) = list(out.iterdir())
    good = saved.read_bytes()
    saved.write_bytes(b"someone else's bytes")  # same name, other content
    again = vtrix("task", "get", "task_1", "--save", str(out), env=env_for(hostile))
    assert again.code == 0, again.err
    files = sorted(out.iterdir())
    assert len(files) == 2 and files[0].read_bytes() == b"someone else's bytes"
    assert files[1].read_bytes() == good and str(files[1]) in again.out
    for f in files:
        f.unlink()
    target = tmp_path / "elsewhere.png"
    target.write_bytes(good)
    files[0].symlink_to(target)  # a symlink with the right bytes behind it: still not ours
    third = vtrix("task", "get", "task_1", "--save", str(out), env=env_for(hostile))
    assert third.code == 0, third.err
    regular = [f for f in out.iterdir() if not f.is_symlink()]
    assert len(regular) == 1 and regular[0].read_bytes() == good
    assert str(regular[0]) in third.out and str(files[0]) not in third.out
