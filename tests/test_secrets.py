"""The key never appears anywhere: output of every command and mode, files, reprs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from conftest import CANARY, env_for

from vtrix.base.secrets import Secret, redact
from vtrix.client import Client
from vtrix.store.config import Settings

RUN = ["run", "kirin_v3_i2v", "--param", "image_url=https://example.com/a.jpg"]


def test_canary_key_never_printed_by_any_command(vtrix, sandbox, home, tmp_path):
    env = {**env_for(sandbox), "MODELLIX_API_KEY": CANARY}
    runs = [
        vtrix(*RUN, env=env),
        vtrix(*RUN, "--output", "json", env=env),
        vtrix(*RUN, "--output", "url", "--debug", env=env),
        vtrix("--debug", "--dry-run", "run", "kirin_v3_i2v", "--param", "image_url=x", env=env),
        vtrix("--api-key", CANARY, "--debug", *RUN, env=env_for(sandbox, key=None)),
        vtrix(*RUN, "--param", "prompt=[fail]", "--debug", env=env),
        vtrix(
            "run",
            "kirin_v3_i2v",
            "--param",
            f"image_url={CANARY}",
            "--param",
            "duration=99",
            env=env,
        ),
        vtrix("models", "list", "--output", "json", env=env),
        vtrix("models", "spec", "kirin_v3_i2v", "--output", "json", env=env),
        vtrix("task", "list", env=env),
        vtrix("task", "get", "task_nope", "--debug", env=env),
        vtrix(
            "model",
            "invoke",
            "--model-slug",
            "bytedance/seedream-4.5-t2i",
            "--body",
            '{"prompt": "p"}',
            "--wait",
            "--output",
            "json",
            env=env,
        ),
        vtrix("auth", "login", "--with-token", input=CANARY + "\n", env={}),
        vtrix("auth", "status", env={}),
        vtrix("auth", "status", env=env),
    ]
    sandbox.faults(vtrix_submit={"submit_500": True})
    runs.append(vtrix(*RUN, "--debug", env=env))
    for r in runs:
        assert CANARY not in r.out and CANARY not in r.err, (r.out, r.err)
    assert any("Bearer ***" in r.err for r in runs)
    for path in home.rglob("*"):
        if path.is_file() and "config" not in path.parts:
            assert CANARY not in path.read_text(errors="ignore"), path


def test_config_file_is_private(vtrix, home):
    vtrix("auth", "login", "--with-token", input="sk-abcdefghijklmnop\n")
    cfg = home / "config" / "config.json"
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert stat.S_IMODE(cfg.parent.stat().st_mode) == 0o700
    os.chmod(cfg, 0o644)
    vtrix("auth", "login", "--with-token", "--profile", "work", input="sk-zyxwvutsrqponmlk\n")
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    status = vtrix("auth", "status", "--profile", "work").out
    assert "sk-…nmlk" in status and "zyxwvutsrq" not in status


def test_key_precedence(home, monkeypatch):
    from vtrix.store.config import editing_config

    with editing_config() as data:
        data["profiles"]["default"] = {"api_key": "sk-profile-key-0001"}
    assert Settings.resolve().key_for("vtrix") == Secret("sk-profile-key-0001")
    monkeypatch.setenv("VTRIX_API_KEY", "sk-env-key-000002")
    assert Settings.resolve().key_for("vtrix") == Secret("sk-env-key-000002")
    assert Settings.resolve(api_key="sk-flag-key-0003").key_for("vtrix") == Secret(
        "sk-flag-key-0003"
    )


def test_reprs_and_redaction():
    s = Secret(CANARY)
    assert CANARY not in repr(s) and CANARY not in str(s)
    assert CANARY not in repr(Client(api_key=CANARY).settings)
    assert redact(f"oops {CANARY} leaked") == "oops [redacted] leaked"


def test_plain_http_refused_for_remote_hosts(vtrix):
    r = vtrix(
        "--dry-run",
        "run",
        "kirin_v3_i2v",
        "--param",
        "image_url=x",
        env={"VTRIX_BASE_URL": "http://gateway.example.com"},
    )
    assert r.code == 2 and "plain http://" in r.err


def test_ledger_holds_no_key(vtrix, sandbox, home):
    assert vtrix(*RUN, env=env_for(sandbox)).code == 0
    data = b"".join(p.read_bytes() for p in (home / "data").glob("ledger.sqlite3*"))
    assert b"kirin_v3_i2v" in data and CANARY.encode() not in data
    assert stat.S_IMODE((home / "data" / "ledger.sqlite3").stat().st_mode) == 0o600


def test_no_traceback_on_user_errors(vtrix, tmp_path: Path):
    for args in (
        ["run", "kirin_v3_i2v", "--body-file", str(tmp_path / "missing.json")],
        ["run", "kirin_v3_i2v", "--body", "{"],
        ["task", "get"],
    ):
        r = vtrix(*args)
        assert r.code == 2 and "Traceback" not in r.err, r.err
