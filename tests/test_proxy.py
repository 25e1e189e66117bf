"""Behind a corporate proxy (issue 26): a real CONNECT proxy on 127.0.0.1 (tests/proxy.py) in
front of a TLS gateway with its own test CA, reachable by the name ``gateway.test`` only
through the proxy."""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from conftest import CANARY
from hostile import HostileGateway, Reply, vtrix_task
from proxy import ConnectProxy

RUN = ["run", "kirin_v3_i2v", "--param", "image_url=https://example.com/a.jpg", "-o", "url"]
SUBMIT, TASK = "/model/v1/generation", r"/model/v1/generation/task/.*"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    authority = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "company-ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return authority, path


@pytest.fixture
def tls_gateway(ca: tuple[trustme.CA, Path]) -> Iterator[HostileGateway]:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca[0].issue_cert("gateway.test").configure_cert(ctx)
    with HostileGateway(tls=ctx, host="gateway.test") as gw:
        gw.on("POST", SUBMIT, Reply(json=vtrix_task("task_1", "in_progress", progress=0)))
        gw.on("GET", TASK, Reply(json=vtrix_task("task_1")))
        yield gw


@pytest.fixture
def proxy() -> Iterator[ConnectProxy]:
    with ConnectProxy() as p:
        yield p


def _env(gw: HostileGateway, **extra: str) -> dict[str, str]:
    """vtrix's two services at ``gw`` (a base URL that is not loopback moves the gateway
    alone; the look at the live spec before a submit goes to the models service)."""
    urls = {"VTRIX_BASE_URL": gw.url, "VTRIX_MODELS_URL": gw.url}
    return {**urls, "VTRIX_API_KEY": CANARY, **extra}


def test_requests_go_through_the_proxy_when_the_environment_says_so(
    vtrix: Any, tls_gateway: HostileGateway, proxy: ConnectProxy, ca: Any
) -> None:
    env = _env(tls_gateway, HTTPS_PROXY=proxy.url, REQUESTS_CA_BUNDLE=str(ca[1]))
    r = vtrix(*RUN, env=env)
    assert r.code == 0, r.err
    assert r.out.strip() == "https://cdn.example/o.mp4"
    port = tls_gateway.url.rsplit(":", 1)[1]
    assert proxy.targets and set(proxy.targets) == {f"gateway.test:{port}"}
    # The key reached the gateway, inside the tunnel; the proxy never saw it in clear.
    assert tls_gateway.posts()[0].headers["authorization"] == f"Bearer {CANARY}"
    assert CANARY.encode() not in proxy.seen
    assert b"Authorization" not in b"".join(proxy.heads)


def test_lower_case_and_all_proxy_forms_work_too(
    vtrix: Any, tls_gateway: HostileGateway, proxy: ConnectProxy, ca: Any
) -> None:
    for var in ("https_proxy", "ALL_PROXY"):
        before = len(proxy.targets)
        env = _env(tls_gateway, **{var: proxy.url}, SSL_CERT_FILE=str(ca[1]))
        r = vtrix(*RUN, env=env)
        assert r.code == 0, (var, r.err)
        assert len(proxy.targets) > before, var


def test_without_the_environment_the_proxy_is_not_used(
    vtrix: Any, tls_gateway: HostileGateway, proxy: ConnectProxy, ca: Any
) -> None:
    r = vtrix(*RUN, env=_env(tls_gateway, REQUESTS_CA_BUNDLE=str(ca[1])))
    assert r.code == 75 and "nothing was sent" in r.err, r.err  # gateway.test: no such name
    assert not proxy.targets and not tls_gateway.received


@pytest.mark.parametrize("no_proxy", ["gateway.test", ".test", "*", "example.com,gateway.test"])
def test_no_proxy_bypasses_it(
    vtrix: Any, tls_gateway: HostileGateway, proxy: ConnectProxy, ca: Any, no_proxy: str
) -> None:
    env = _env(tls_gateway, HTTPS_PROXY=proxy.url, NO_PROXY=no_proxy, REQUESTS_CA_BUNDLE=str(ca[1]))
    r = vtrix(*RUN, env=env)
    assert r.code == 75, r.err  # went direct: the name does not resolve here
    assert not proxy.targets


def test_loopback_is_never_proxied(vtrix: Any, hostile: Any, proxy: ConnectProxy) -> None:
    hostile.on("POST", SUBMIT, Reply(json=vtrix_task("task_1", "in_progress", progress=0)))
    hostile.on("GET", TASK, Reply(json=vtrix_task("task_1")))
    env = {**_env(hostile), "HTTPS_PROXY": proxy.url, "HTTP_PROXY": proxy.url}
    env["ALL_PROXY"] = proxy.url
    r = vtrix(*RUN, env=env)
    assert r.code == 0, r.err
    assert not proxy.heads  # not one byte went to the proxy


def test_the_proxy_option_without_any_environment(
    vtrix: Any, tls_gateway: HostileGateway, proxy: ConnectProxy, ca: Any
) -> None:
    env = _env(tls_gateway, REQUESTS_CA_BUNDLE=str(ca[1]))
    r = vtrix("--proxy", proxy.url, *RUN, env=env)
    assert r.code == 0, r.err
    assert proxy.targets


def test_without_the_ca_bundle_verification_fails_clearly_and_nothing_is_sent(
    vtrix: Any, tls_gateway: HostileGateway, proxy: ConnectProxy
) -> None:
    r = vtrix(*RUN, env=_env(tls_gateway, HTTPS_PROXY=proxy.url))
    assert r.code == 75, r.err
    assert "certificate could not be verified" in r.err and "REQUESTS_CA_BUNDLE" in r.err
    assert "nothing was sent" in r.err
    assert not tls_gateway.received  # no request got through the handshake
    assert CANARY.encode() not in proxy.seen


def test_tls_verification_is_never_turned_off_by_the_environment(
    vtrix: Any, tls_gateway: HostileGateway, proxy: ConnectProxy
) -> None:
    env = _env(
        tls_gateway,
        HTTPS_PROXY=proxy.url,
        REQUESTS_CA_BUNDLE="",
        CURL_CA_BUNDLE="",
        PYTHONHTTPSVERIFY="0",
    )
    assert vtrix(*RUN, env=env).code == 75
    assert not tls_gateway.received


def test_proxy_credentials_are_secrets(
    vtrix: Any, tls_gateway: HostileGateway, ca: Any, home: Path
) -> None:
    with ConnectProxy(user="alice", password="s3cret-proxy-pass") as authed:
        url = f"http://alice:s3cret-proxy-pass@127.0.0.1:{authed.port}"
        env = _env(tls_gateway, HTTPS_PROXY=url, REQUESTS_CA_BUNDLE=str(ca[1]))
        r = vtrix("--debug", *RUN, env=env)
        assert r.code == 0, r.err
        assert authed.targets
        assert "s3cret-proxy-pass" not in r.out + r.err
        doc = vtrix("doctor", "-o", "json", env=env)
        assert "s3cret-proxy-pass" not in doc.out + doc.err
        route = json.loads(doc.out)["gateways"]["vtrix"]["route"]
        assert route == f"via proxy http://alice:***@127.0.0.1:{authed.port}"
        human = vtrix("doctor", "--offline", env=env)
        assert "s3cret-proxy-pass" not in human.out + human.err
        assert f"via proxy http://alice:***@127.0.0.1:{authed.port}" in human.out
        ledger = (home / "data" / "ledger.sqlite3").read_bytes()
        assert b"s3cret-proxy-pass" not in ledger


def test_doctor_shows_the_route_of_each_gateway(vtrix: Any, proxy: ConnectProxy) -> None:
    env = {
        "HTTPS_PROXY": proxy.url,
        "NO_PROXY": "modellix.ai",
        "VTRIX_MODELS_URL": "http://127.0.0.1:9",  # unreachable: doctor says so, no hang
    }
    doc = json.loads(vtrix("doctor", "--offline", "-o", "json", env=env).out)
    assert doc["gateways"]["vtrix"]["reachable"] is None  # not asked
    assert doc["gateways"]["vtrix"]["route"] == f"via proxy {proxy.url}"
    assert doc["gateways"]["modellix"]["route"] == "direct"
    assert doc["gateways"]["vtrix"]["models_route"] == "direct"  # loopback


def test_downloads_go_through_the_proxy_and_the_policy_checks_the_target(
    vtrix: Any,
    tls_gateway: HostileGateway,
    proxy: ConnectProxy,
    ca: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = tls_gateway.url.rsplit(":", 1)[1]
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    done = vtrix_task("task_1")
    done["output"] = [{"content": [{"type": "image", "url": f"{tls_gateway.url}/files/o.png"}]}]
    tls_gateway.on("GET", TASK, Reply(json=done))
    tls_gateway.on("GET", r"/files/o\.png", Reply(body=png, headers={"Content-Type": "image/png"}))
    env = _env(tls_gateway, HTTPS_PROXY=proxy.url, REQUESTS_CA_BUNDLE=str(ca[1]))
    r = vtrix(*RUN, "--save", str(tmp_path / "out"), env=env)
    assert r.code == 0, r.err
    saved = list((tmp_path / "out").iterdir())
    assert len(saved) == 1 and saved[0].read_bytes() == png
    assert proxy.targets.count(f"gateway.test:{port}") >= 2  # the API and the file host
    # A result host that resolves to a private address is refused, though the proxy that
    # would carry it is on loopback: the policy is about the target.
    real = socket.getaddrinfo

    def fake(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "private.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.9.9.9", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    done["output"] = [{"content": [{"type": "image", "url": f"https://private.test:{port}/o"}]}]
    tls_gateway.on("GET", TASK, Reply(json=done))
    before = len(proxy.targets)
    r = vtrix(*RUN, "--save", str(tmp_path / "out2"), env=env)
    assert r.code == 1 and "private or link-local" in r.err, r.err
    assert not any(t.startswith("private.test") for t in proxy.targets[before:])


def test_doctor_against_the_sandbox(vtrix: Any, sandbox: Any, make_sandbox: Any) -> None:
    from conftest import env_for

    r = vtrix("doctor", "-o", "json", env=env_for(sandbox))
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    m = doc["gateways"]["modellix"]
    assert m["reachable"] and m["key_accepted"] and m["balance"] == 100.0
    assert doc["gateways"]["vtrix"]["reachable"] and doc["ledger"]["usable"]
    assert CANARY not in r.out and doc["gateways"]["vtrix"]["key"].endswith(CANARY[-4:])
    strict = make_sandbox(accepted_keys={"sk-other-key-000"})
    refused = vtrix("doctor", env=env_for(strict))
    assert refused.code == 1 and "refused" in refused.out
