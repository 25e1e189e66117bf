"""`make specs generate` round-trips against the sandbox; a failed fetch changes nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import codegen_run

from codegen.report import compare, format_report
from codegen.specfiles import read_tree
from vtrix.spec.normalise import ModelSpec

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _own_dirs(home: Path) -> None:
    """Each test's own config, data and cache dirs (a fetch keeps its validators there)."""


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return codegen_run(*args, env=env)


def mirror(gw) -> None:
    """Serve the committed snapshot exactly as the gateways' routes serve it."""
    from urllib.parse import parse_qs, urlsplit

    from hostile import Reply

    from vtrix.spec.snapshot import load_snapshot

    snap = load_snapshot(ROOT / "specs")

    def catalog(req):
        q = parse_qs(urlsplit(req.path).query)
        page, size = int(q.get("page", ["1"])[0]), int(q.get("page_size", ["20"])[0])
        models = snap.vtrix_catalog[(page - 1) * size : page * size]
        pages = -(-len(snap.vtrix_catalog) // size)
        data = {
            "models": models,
            "total": len(snap.vtrix_catalog),
            "page": page,
            "page_size": size,
            "total_pages": pages,
        }
        return Reply(json={"status": {"code": 0, "message": "ok"}, "data": data})

    def vspec(req):
        mid = req.path.split("/")[-2]
        if mid not in snap.vtrix_specs:
            return Reply(404, json={"status": {"code": 404, "message": "not found"}, "data": None})
        return Reply(json={"status": {"code": 0, "message": "ok"}, "data": snap.vtrix_specs[mid]})

    def mspec(req):
        slug = "/".join(req.path.split("/")[2:4])
        raw = snap.modellix_specs.get(slug)
        return Reply(json=raw) if raw else Reply(404, json={"code": 404, "message": "Not Found"})

    gw.on("GET", r"/api/v1/skill/models(\?.*)?", catalog)
    gw.on("GET", r"/api/v1/skill/models/[^/]+/spec", vspec)
    gw.on("GET", r"/api/v1/models", Reply(json={"models": snap.modellix_catalog}))
    gw.on("GET", r"/models/[^/]+/[^/]+/api_schema", mspec)


def test_fetch_then_generate_round_trips(hostile, tmp_path):
    mirror(hostile)
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    env = {
        "VTRIX_BASE_URL": hostile.url,
        "MODELLIX_BASE_URL": hostile.url,
        "MODELLIX_API_KEY": "sk-fetch-key-1234",
    }
    r = run(["fetch", "--specs", str(specs)], env)
    assert r.returncode == 0, r.stderr
    assert "No changes" in r.stdout
    assert read_tree(specs) == read_tree(ROOT / "specs")
    # generate would change nothing: the committed output is that of these specs (a render
    # from scratch of the committed specs is compared with it in test_codegen)
    checked = run(["check", "--specs", str(specs), "--root", str(ROOT)], env)
    assert checked.returncode == 0 and "up to date" in checked.stdout, checked.stderr
    catalog = [q for q in hostile.received if q.path == "/api/v1/models"]
    assert catalog and catalog[0].headers["authorization"] == "Bearer sk-fetch-key-1234"


def test_fetch_from_a_sandbox_of_the_snapshot_is_the_identity(make_sandbox, tmp_path):
    """Issue 19: a sandbox serves exactly the snapshot it was given; `codegen fetch` from it
    leaves specs/ byte-identical (validators aside) and `generate` changes nothing."""
    sb = make_sandbox(specs_dir=str(ROOT / "specs"), committed_endpoints=True)
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    env = {
        "VTRIX_BASE_URL": sb.url,
        "MODELLIX_BASE_URL": sb.url,
        "MODELLIX_API_KEY": "sk-fetch-key-1234",
    }
    r = run(["fetch", "--specs", str(specs)], env)
    assert r.returncode == 0, r.stderr
    assert "No changes" in r.stdout, r.stdout
    # Byte for byte, and nothing more: the validators live in the user cache (git status of
    # a checkout stays clean after `make specs`).
    assert read_tree(specs) == read_tree(ROOT / "specs")
    # generate would change nothing: the committed output is that of these specs (a render
    # from scratch of the committed specs is compared with it in test_codegen)
    checked = run(["check", "--specs", str(specs), "--root", str(ROOT)], env)
    assert checked.returncode == 0 and "up to date" in checked.stdout, checked.stderr


def test_failed_fetch_leaves_specs_alone(sandbox, tmp_path, home, monkeypatch, capsys):
    from codegen.__main__ import main  # in this process: its retries wait on the fake clock

    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    sandbox.faults(modellix_schema={"error_rate": 1.0})
    monkeypatch.setenv("VTRIX_BASE_URL", sandbox.url)
    monkeypatch.setenv("MODELLIX_BASE_URL", sandbox.url)
    monkeypatch.setenv("MODELLIX_API_KEY", "sk-fetch-key-1234")
    code = main(["fetch", "--specs", str(specs)])
    err = capsys.readouterr().err
    assert code == 1
    assert "spec of alibaba/ai-try-on: http://127.0.0.1:" in err
    assert "/models/alibaba/ai-try-on/api_schema" in err
    assert read_tree(specs) == read_tree(ROOT / "specs")


def _spec(schema: dict) -> ModelSpec:
    return ModelSpec(
        id="m",
        provider="vtrix",
        name="m",
        type="video",
        endpoint="e",
        summary="",
        schema={"type": "object", **schema},
    )


def test_change_report_marks_breaking_changes():
    old = _spec(
        {
            "properties": {
                "a": {"type": "string", "enum": ["x", "y"]},
                "b": {"type": "integer", "maximum": 10},
                "gone": {"type": "string"},
            }
        }
    )
    new = _spec(
        {
            "properties": {
                "a": {"type": "string", "enum": ["x"]},
                "b": {"type": "number", "maximum": 5},
                "c": {"type": "string"},
            },
            "required": ["c"],
        }
    )
    text = format_report(compare({"m": old}, {"m": new}, {"m", "old"}, {"m", "new"}))
    for line in (
        "BREAKING m: enum of a narrowed: removed ['y']",
        "BREAKING m: parameter b retyped integer -> number",
        "BREAKING m: maximum of b: 10 -> 5",
        "BREAKING m: parameter gone removed",
        "BREAKING m: parameter c added (required)",
        "BREAKING old: model removed from the catalog",
        "new: model added to the catalog",
    ):
        assert line in text, text


def _env(url: str) -> dict[str, str]:
    return {
        "VTRIX_BASE_URL": url,
        "MODELLIX_BASE_URL": url,
        "MODELLIX_API_KEY": "sk-fetch-key-1234",
    }


def test_second_fetch_is_conditional_and_changes_nothing(make_sandbox, tmp_path):
    """The sandbox sends ETag/Last-Modified with every spec; the next fetch sends them back
    and keeps every file it is told did not change."""
    served = tmp_path / "served"
    shutil.copytree(ROOT / "specs", served)
    sb = make_sandbox(specs_dir=str(served), committed_endpoints=True)
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    first = run(["fetch", "--specs", str(specs), "--concurrency", "4"], _env(sb.url))
    assert first.returncode == 0, first.stderr
    from codegen.fetch import validators_path

    assert not (specs / "validators.json").exists()
    validators = json.loads(validators_path(specs).read_text())
    assert validators["vtrix/kirin_v3_i2v.json"]["etag"].startswith('"')
    assert "last_modified" in validators["modellix/alibaba/qwen-image.json"]
    before = read_tree(specs)
    second = run(["fetch", "--specs", str(specs)], _env(sb.url))
    assert second.returncode == 0, second.stderr
    assert " 0 specs downloaded" in second.stdout and "No changes" in second.stdout
    n = len(list((specs / "vtrix").glob("*.json"))) + len(list((specs / "modellix").glob("*/*")))
    assert f"{n} not modified" in second.stdout
    assert read_tree(specs) == before


def test_a_changed_spec_is_downloaded_and_reported(make_sandbox, tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    served = tmp_path / "served"
    shutil.copytree(ROOT / "specs", served)
    old = make_sandbox(specs_dir=str(served), committed_endpoints=True)
    assert run(["fetch", "--specs", str(specs)], _env(old.url)).returncode == 0
    path = served / "vtrix" / "kirin_v3_i2v.json"
    data = json.loads(path.read_text())
    param = next(p for p in data["parameters"] if p["name"] == "resolution")
    param["constraints"]["enum"] = ["720p", "1080p"]
    path.write_text(json.dumps(data))
    new = make_sandbox(specs_dir=str(served), committed_endpoints=True)
    report = tmp_path / "report.txt"
    r = run(["fetch", "--specs", str(specs), "--report", str(report)], _env(new.url))
    assert r.returncode == 0, r.stderr
    # the vtrix specs name the serving sandbox as their endpoint, and its port changed
    assert "1 specs downloaded, 93 not modified, 211 without a spec" in r.stdout
    assert "BREAKING kirin_v3_i2v: enum of resolution narrowed: removed ['480p']" in r.stdout
    assert "enum of resolution narrowed" in report.read_text()
    kept = json.loads((specs / "vtrix" / "kirin_v3_i2v.json").read_text())
    assert next(p for p in kept["parameters"] if p["name"] == "resolution")["constraints"] == {
        "default": "720p",
        "enum": ["720p", "1080p"],
    }


def test_one_failing_spec_among_many_leaves_specs_alone(hostile, tmp_path):
    from hostile import Reply

    mirror(hostile)
    hostile.on("GET", r"/api/v1/skill/models/kirin_v3_i2v/spec", Reply(400, json={"x": 1}))
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    (specs / "vtrix" / "kirin_v3_i2v.json").write_text('{"old": true}\n')
    before = read_tree(specs)
    r = run(["fetch", "--specs", str(specs), "--concurrency", "8"], _env(hostile.url))
    assert r.returncode == 1
    assert "1 spec(s) could not be fetched" in r.stderr
    assert "spec of kirin_v3_i2v: http://127.0.0.1:" in r.stderr
    assert "specs/ was left as it was" in r.stderr
    assert read_tree(specs) == before
    assert not list(tmp_path.glob(".specs-new-*"))


def test_a_loose_spec_is_fetched_with_warnings_and_an_unusable_one_keeps_its_old_file(
    hostile, tmp_path
):
    """One spec in the official client's loose dialect and one that cannot be used at all:
    the fetch goes through, warns naming spec and field, and keeps the old file."""
    from hostile import Reply

    from vtrix.spec.snapshot import load_snapshot

    snap = load_snapshot(ROOT / "specs")
    loose = json.loads(json.dumps(snap.vtrix_specs["kirin_v3_i2v"]))
    duration = next(p for p in loose["parameters"] if p["name"] == "duration")
    duration["constraints"] = {"default": "5", "min": 3, "max": 10, "step": 1}
    broken = {**snap.vtrix_specs["spark_dance_v2_0"], "parameters": {"not": "a list"}}
    mirror(hostile)  # the routes below answer first
    hostile.on(
        "GET",
        r"/api/v1/skill/models/kirin_v3_i2v/spec",
        Reply(json={"status": {"code": 0}, "data": loose}),
    )
    hostile.on(
        "GET",
        r"/api/v1/skill/models/spark_dance_v2_0/spec",
        Reply(json={"status": {"code": 0}, "data": broken}),
    )
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    env = {
        "VTRIX_BASE_URL": hostile.url,
        "MODELLIX_BASE_URL": hostile.url,
        "MODELLIX_API_KEY": "sk-fetch-key-1234",
    }
    r = run(["fetch", "--specs", str(specs)], env)
    assert r.returncode == 0, r.stderr
    assert "kirin_v3_i2v" in r.stderr and "constraints.step: unknown constraint" in r.stderr
    assert "default '5' read as 5" in r.stderr
    assert "spark_dance_v2_0: the new spec cannot be used" in r.stderr
    assert "kept the old file" in r.stderr
    kept = specs / "vtrix" / "spark_dance_v2_0.json"
    assert kept.read_bytes() == (ROOT / "specs" / "vtrix" / "spark_dance_v2_0.json").read_bytes()
    fetched = json.loads((specs / "vtrix" / "kirin_v3_i2v.json").read_text())
    assert fetched["parameters"][4]["constraints"]["default"] == "5"  # kept as served


def test_fetch_guards_what_it_commits(make_sandbox, hostile, tmp_path):
    """Issue 19: endpoint hosts that move or point at loopback are breaking and reported
    first; a catalog that loses more than a tenth stops the fetch unless --allow-shrink."""
    from hostile import Reply

    from vtrix.spec.snapshot import load_snapshot

    sb = make_sandbox(specs_dir=str(ROOT / "specs"))  # endpoints name the sandbox: breaking
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    env = {"VTRIX_BASE_URL": sb.url, "MODELLIX_BASE_URL": sb.url, "MODELLIX_API_KEY": "k-12345"}
    r = run(["fetch", "--specs", str(specs)], env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    report = lines[lines.index(next(x for x in lines if "change(s)" in x)) + 1 :]
    assert report[0].startswith("  BREAKING")
    assert "  BREAKING kirin_v3_i2v: endpoint host changed vtrix.ai -> 127.0.0.1" in report
    assert "  BREAKING kirin_v3_i2v: endpoint on a loopback or private host (127.0.0.1)" in report
    # A catalog that shrinks by more than a tenth: the wrong URL, most likely.
    mirror(hostile)
    snap = load_snapshot(ROOT / "specs")
    short = {"status": {"code": 0}, "data": {"models": snap.vtrix_catalog[:50], "total_pages": 1}}
    hostile.on("GET", r"/api/v1/skill/models(\?.*)?", Reply(json=short))
    fresh = tmp_path / "fresh"
    shutil.copytree(ROOT / "specs", fresh)
    env = {"VTRIX_BASE_URL": hostile.url, "MODELLIX_BASE_URL": hostile.url, **env}
    env.update(VTRIX_BASE_URL=hostile.url, MODELLIX_BASE_URL=hostile.url)
    stopped = run(["fetch", "--specs", str(fresh)], env)
    assert stopped.returncode == 1 and "would lose 10 of 60 models" in stopped.stderr
    assert read_tree(fresh) == read_tree(ROOT / "specs")
    allowed = run(["fetch", "--specs", str(fresh), "--allow-shrink"], env)
    assert allowed.returncode == 0, allowed.stderr
    assert "BREAKING" in allowed.stdout and "model removed from the catalog" in allowed.stdout


def test_generate_reports_what_it_regenerated(tmp_path):
    """Issue 19: generate prints the report fetch prints: what changed for callers,
    breaking changes first."""
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    out = tmp_path / "out"
    for d in ("src/vtrix/models", "docs/models"):  # what generating the snapshot gives
        shutil.copytree(ROOT / d, out / d, ignore=shutil.ignore_patterns("__pycache__"))
    path = specs / "vtrix" / "kirin_v3_i2v.json"
    raw = json.loads(path.read_text())
    resolution = next(p for p in raw["parameters"] if p["name"] == "resolution")
    resolution["constraints"]["enum"] = ["720p", "1080p", "4k"]
    raw["parameters"] = [p for p in raw["parameters"] if p["name"] != "seed"]
    path.write_text(json.dumps(raw, indent=2))
    again = run(["generate", "--specs", str(specs), "--root", str(out)], {})
    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()
    start = next(i for i, x in enumerate(lines) if "change(s)" in x)
    assert lines[start] == "3 change(s), 2 breaking:"
    assert lines[start + 1 : start + 3] == [
        "  BREAKING kirin_v3_i2v: parameter seed removed",
        "  BREAKING kirin_v3_i2v: enum of resolution narrowed: removed ['480p']",
    ]
    assert "  kirin_v3_i2v: enum of resolution widened: added ['4k']" in lines
