"""The hostile pass's leftovers, each as a test: nothing the user gave replaced, nothing
re-permissioned that vtrix did not create, settings of the wrong kind refused naming the
setting, and a message — never a traceback — where one is due."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import env_for
from test_money_repros import _batch_file as _lines


def test_a_batch_whose_wait_runs_out_keeps_its_results_and_exits_124(
    vtrix: Any, make_sandbox: Any, tmp_path: Path
) -> None:
    sb = make_sandbox(task_seconds=60)
    src = _lines(tmp_path / "in.jsonl", 2)
    results = tmp_path / "r.jsonl"
    r = vtrix("batch", str(src), "--timeout", "2", "--results", str(results), env=env_for(sb))
    assert r.code == 124, r.err
    assert "Traceback" not in r.err
    lines = [json.loads(x) for x in results.read_text().splitlines()]
    assert [x["error"]["code"] for x in lines] == ["wait_timeout", "wait_timeout"]
    assert all(x["id"] for x in lines)
    again = vtrix("batch", str(src), "--timeout", "2", "-o", "json", env=env_for(sb))
    assert again.code == 124 and len(again.out.splitlines()) == 2
    assert sb.stats()["tasks_created"] == 2  # resumed, never sent twice


def test_results_at_a_fifo_are_written_into_it_never_replacing_it(
    vtrix: Any, make_sandbox: Any, tmp_path: Path
) -> None:
    sb = make_sandbox(task_seconds=0)
    src = _lines(tmp_path / "in.jsonl", 2)
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as fh:  # a reader, as `vtrix batch … --results >(jq …)` has
            got.append(fh.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    r = vtrix("batch", str(src), "--results", str(fifo), "-q", env=env_for(sb))
    reader.join(timeout=60)
    assert r.code == 0, r.err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still the FIFO
    assert len(got) == 1 and len(got[0].splitlines()) == 2


def test_a_directory_vtrix_did_not_make_keeps_its_mode(
    vtrix: Any, sandbox: Any, tmp_path: Path
) -> None:
    open_dir = tmp_path / "team-data"  # a 0755 directory another user made, say
    sticky = tmp_path / "sticky"
    open_dir.mkdir()
    sticky.mkdir()
    os.chmod(open_dir, 0o755)
    os.chmod(sticky, 0o1777)
    for where in (open_dir, sticky):
        env = {**env_for(sandbox), "VTRIX_DATA_DIR": str(where)}
        r = vtrix("run", "kirin_v3_i2v", "--image-url", "https://e.com/a.jpg", "-q", env=env)
        assert r.code == 0, r.err
        assert (where / "ledger.sqlite3").exists()
        assert stat.S_IMODE(os.stat(where).st_mode) == (0o755 if where == open_dir else 0o1777)
        assert stat.S_IMODE(os.stat(where / "ledger.sqlite3").st_mode) == 0o600


def test_a_libpq_keyword_string_is_a_team_ledger_never_a_file(
    vtrix: Any, tmp_path: Path, sandbox: Any
) -> None:
    url = f"host={tmp_path}/no-server port=5432 dbname=vtrix password=hunter2hunter2"
    env = {**env_for(sandbox), "VTRIX_LEDGER_URL": url}
    before = set(os.listdir(tmp_path))
    r = subprocess.run(
        [sys.executable, "-m", "vtrix", "ledger", "status"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert r.returncode == 2 and "hunter2hunter2" not in r.stdout + r.stderr
    assert "postgresql" in (r.stdout + r.stderr).lower() or "password=***" in r.stderr
    assert set(os.listdir(tmp_path)) == before  # no file named after the string
    run = vtrix("run", "kirin_v3_i2v", "--image-url", "https://e.com/a.jpg", env=env)
    assert run.code == 2 and "hunter2hunter2" not in run.out + run.err


def test_settings_and_paths_of_the_wrong_kind_get_a_message(
    vtrix: Any, sandbox: Any, tmp_path: Path, home: Path
) -> None:
    env = env_for(sandbox)
    fifo = tmp_path / "ca.fifo"
    os.mkfifo(fifo)
    for bundle in ("/nonexistent/ca.pem", str(fifo)):
        r = vtrix("task", "get", "task_1", env={**env, "REQUESTS_CA_BUNDLE": bundle})
        assert r.code == 2 and "REQUESTS_CA_BUNDLE" in r.err and "Traceback" not in r.err
    skill = vtrix("skill", "--install", "/proc/nope")
    assert skill.code == 2 and "Traceback" not in skill.err
    data = tmp_path / "data"
    data.mkdir()
    (data / "ledger.sqlite3").symlink_to(tmp_path / "nowhere" / "ledger")
    dangling = vtrix("task", "list", env={**env, "VTRIX_DATA_DIR": str(data)})
    assert dangling.code == 2 and "does not exist" in dangling.err
    assert "Traceback" not in dangling.err
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / "prices.json").write_text(
        json.dumps({"kirin_v3_i2v": "0.30", "x": {"amount": "1e999999999", "per": "task"}})
    )
    for args in (
        ["prices", "list"],
        ["run", "kirin_v3_i2v", "--image-url", "https://e.com/a.jpg", "--max-cost", "1"],
    ):
        r = vtrix(*args, env=env)
        assert "Traceback" not in r.err and r.code in (0, 4), (args, r.err)


def test_the_config_lock_is_private_whatever_the_umask(home: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "vtrix", "ledger", "use", "--local"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.umask(0),
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    lock = home / "config" / "config.json.lock"
    assert lock.exists() and stat.S_IMODE(os.stat(lock).st_mode) == 0o600


def test_an_upload_url_on_a_private_address_never_goes_into_a_paid_submit() -> None:
    import pytest

    from vtrix.engine.plans import uploaded_url
    from vtrix.errors import BadAnswer

    for url in ("https://169.254.169.254/x.png", "https://10.0.0.7/x.png", "https://[fe80::1]/x"):
        with pytest.raises(BadAnswer) as caught:
            uploaded_url({"url": url}, "upload of cat.png")
        assert "private address" in caught.value.message
    assert (
        uploaded_url({"url": "https://cdn.example/x.png"}, "upload") == "https://cdn.example/x.png"
    )
    assert uploaded_url({"url": "http://127.0.0.1:9/x.png"}, "upload")  # the sandbox's


def test_a_key_modellix_refuses_is_stored_for_vtrix_alone(vtrix: Any, make_sandbox: Any) -> None:
    sb = make_sandbox(accepted_keys={"sk-good-key-0001"})
    env = {"MODELLIX_BASE_URL": sb.url}
    r = vtrix("auth", "login", "--with-token", input="sk-vtrix-only-0002\n", env=env)
    assert r.code == 0 and "stored for vtrix only" in r.err
    status = vtrix("auth", "status", env=env).out
    modellix = next(line for line in status.splitlines() if line.startswith("modellix:"))
    vtrix_line = next(line for line in status.splitlines() if line.startswith("vtrix:"))
    assert "not logged in" in modellix and "not logged in" not in vtrix_line


def test_a_ledger_that_goes_away_mid_batch_leaves_lines_not_sent(
    vtrix: Any, make_sandbox: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from vtrix.errors import LedgerUnavailable
    from vtrix.store.ledger import Ledger

    sb = make_sandbox(task_seconds=0)
    src = _lines(tmp_path / "in.jsonl", 5)
    real = Ledger.begin
    calls = {"n": 0}

    def begin(self: Any, **fields: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > 2:  # the server died after two submits
            raise LedgerUnavailable("the task ledger cannot be used (the server is gone)")
        return real(self, **fields)

    monkeypatch.setattr(Ledger, "begin", begin)
    r = vtrix("batch", str(src), "--concurrency", "1", "-o", "json", env=env_for(sb))
    assert r.code == 75, r.err
    outcomes = [json.loads(line)["outcome"] for line in r.out.splitlines()]
    assert outcomes.count("succeeded") == 2 and outcomes.count("not sent: ledger") == 3
    assert sb.stats()["tasks_created"] == 2


def test_smaller_leftovers(vtrix: Any, sandbox: Any, tmp_path: Path) -> None:
    from vtrix.http.network import bypass

    assert bypass("gateway.test", "*.test") and not bypass("gateway.testx", "*.test")
    r = vtrix("run", "kirin_v3_i2v", "--image-url", "https://e.com/a.jpg", "--max-cost", "NaN")
    assert r.code == 2 and "Submitting" not in r.err
    bad = vtrix("ledger", "use", "mysql://u@db/x")
    assert bad.code == 2 and "--ask-password" in bad.err and "PASSWORD@" not in bad.err
    exposed = subprocess.run(
        [sys.executable, "-m", "vtrix", "sandbox", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert exposed.returncode == 2 and "--api-key" in exposed.stderr


def test_the_sandbox_answers_a_deeply_nested_body_with_a_400(sandbox: Any) -> None:
    import requests
    from conftest import CANARY

    deep = ("[" * 100_000 + "]" * 100_000).encode()
    headers = {"Authorization": f"Bearer {CANARY}", "Content-Type": "application/json"}
    for path in ("/model/v1/generation", "/api/v1/bytedance/seedream-4.5-t2i/async"):
        r = requests.post(f"{sandbox.url}{path}", data=deep, headers=headers, timeout=30)
        assert r.status_code == 400, (path, r.status_code, r.text[:200])


def test_name_resolution_is_bounded_and_no_such_host_is_not_asked_again(
    vtrix: Any, monkeypatch: Any
) -> None:
    import socket

    real = socket.getaddrinfo
    never = threading.Event()
    asked: list[str] = []

    def resolver(host: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(str(host))
        if host == "hang.test":
            never.wait(600)  # a resolver that never answers
        if host == "nx.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    try:
        env = {"VTRIX_BASE_URL": "https://hang.test", "VTRIX_API_KEY": "sk-test-key-1"}
        args = ["run", "kirin_v3_i2v", "--image-url", "https://e.com/a.jpg", "--timeout", "2"]
        r = vtrix(*args, "-o", "json", env=env)
        assert r.code == 75 and "did not resolve" in r.err, r.err
        assert json.loads(r.out)["error"]["code"] == "not_sent"
        env["VTRIX_BASE_URL"] = "https://nx.test"
        looked = vtrix("task", "get", "task_1", "--provider", "vtrix", env=env)
        assert looked.code == 75 and "no such host" in looked.err, looked.err
        assert asked.count("nx.test") <= 2  # not asked again and again for a name that is not
    finally:
        never.set()


def test_doctor_says_what_is_wrong_with_a_key_a_balance_and_the_network(
    vtrix: Any, make_sandbox: Any, monkeypatch: Any
) -> None:
    import socket

    keys = {"sk-good-key-0001", "sk-broke-key-0001"}
    strict = make_sandbox(accepted_keys=keys, broke_keys={"sk-broke-key-0001"})
    env = {"VTRIX_BASE_URL": strict.url, "VTRIX_API_KEY": "sk-wrong-key-0002"}
    refused = json.loads(vtrix("doctor", "-o", "json", env=env).out)
    assert refused["gateways"]["vtrix"]["key_accepted"] is False  # the vtrix gateway too
    assert "VTRIX_API_KEY" in refused["gateways"]["vtrix"]["problem"]
    env = {"MODELLIX_BASE_URL": strict.url, "MODELLIX_API_KEY": "sk-broke-key-0001"}
    broke = vtrix("doctor", "-o", "json", env=env)
    assert broke.code == 1 and "balance is spent" in broke.out
    real = socket.getaddrinfo

    def nxdomain(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "offline.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    env = {"VTRIX_BASE_URL": "https://offline.test", "VTRIX_API_KEY": "sk-any-key-0003"}
    offline = json.loads(vtrix("doctor", "-o", "json", env=env).out)
    vt = offline["gateways"]["vtrix"]
    assert vt["reachable"] is False and "could not be resolved" in vt["problem"]


@pytest.mark.real_time
def test_an_upload_over_a_slow_uplink_is_not_cut_at_the_connect_bound(
    tmp_path: Path, clock: Any
) -> None:
    import socket
    import time

    from vtrix.base.constants import MAX_ANSWER_BYTES
    from vtrix.http.transport import Request, RequestsTransport, Timeouts

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def slow_reader() -> None:  # about 8 MB/s: the 8 MB take a second, 5x the connect bound
        conn, _ = server.accept()
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(1024)
            top, _, rest = head.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in top.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            got = len(rest)
            while got < length:
                got += len(conn.recv(16384))
                time.sleep(0.002)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

    threading.Thread(target=slow_reader, daemon=True).start()
    big = tmp_path / "clip.bin"
    big.write_bytes(b"\0" * (8 * 1024 * 1024))
    transport = RequestsTransport(timeouts=Timeouts(connect=0.2, read=10))
    with big.open("rb") as fh:
        request = Request(
            "POST",
            f"http://127.0.0.1:{port}/upload",
            files={"file": ("clip.bin", fh, "application/octet-stream")},
        )
        answer = transport.send(
            request, deadline=clock.monotonic() + 120, max_bytes=MAX_ANSWER_BYTES
        )
    assert answer.status == 200
    server.close()


def test_models_list_offline_falls_back_without_asking_again(vtrix: Any, monkeypatch: Any) -> None:
    import socket

    real = socket.getaddrinfo
    asked: list[str] = []

    def offline(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "offline.test":
            asked.append(host)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    env = {"VTRIX_BASE_URL": "https://offline.test", "MODELLIX_BASE_URL": "https://offline.test"}
    r = vtrix("models", "list", "-o", "id", env=env)
    assert r.code == 0 and "kirin_v3_i2v" in r.out, r.err
    assert len(asked) <= 6  # a look or two per catalog, not a retry loop of many


def test_a_proxy_asking_for_credentials_and_a_huge_ca_bundle_are_named(
    vtrix: Any, sandbox: Any, tmp_path: Path
) -> None:
    import requests

    from vtrix.http.failures import classify

    asked = requests.exceptions.ProxyError(
        "Unable to connect to proxy", OSError("Tunnel connection failed: 407 Proxy Authentication")
    )
    asked.__cause__ = OSError("Tunnel connection failed: 407 Proxy Authentication Required")
    assert "asks for credentials" in classify(asked, sent=False).detail
    huge = tmp_path / "huge.pem"
    with huge.open("wb") as fh:  # sparse: 129 MB on paper, nothing on disk
        fh.truncate(129 * 1024 * 1024)
    r = vtrix("task", "get", "task_1", env={**env_for(sandbox), "REQUESTS_CA_BUNDLE": str(huge)})
    assert r.code == 2 and "MB" in r.err and "REQUESTS_CA_BUNDLE" in r.err
