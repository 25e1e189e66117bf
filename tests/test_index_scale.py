"""The index at catalog scale: lookups and prefixes by binary search over the mapped file
(property-tested against a plain scan), and help and completion that never read it whole."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from click.shell_completion import ShellComplete
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrix.cli.main import cli
from vtrix.engine import registry

ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "# test index generated={g} known={k} columns:\tid\tmodule\tprovider\ttype\tname\tsummary\ttask"
)
ID_CHARS = string.ascii_lowercase + string.digits + "-._/é"


def write_index(path: Path, ids: list[str], generated: set[str] | None = None) -> None:
    generated = set(ids) if generated is None else generated
    lines = [HEADER.format(g=len(generated), k=len(ids))]
    for i in sorted(ids):
        module = i.replace("/", "_").replace("-", "_").replace(".", "_") if i in generated else ""
        lines.append(f"{i}\t{module}\tvtrix\tvideo\t{i}\tsummary of {i}\t")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@settings(max_examples=150, deadline=None)
@given(
    ids=st.lists(st.text(ID_CHARS, min_size=1, max_size=12), unique=True, max_size=60),
    probes=st.lists(st.text(ID_CHARS, max_size=6), max_size=8),
)
def test_lookup_and_prefix_match_a_plain_scan(tmp_path_factory, ids, probes):
    path = tmp_path_factory.mktemp("idx") / "_index.tsv"
    write_index(path, ids)
    index = registry._Index(str(path))
    ordered = sorted(ids)
    assert [e.id for e in index.rows()] == ordered
    for probe in [*probes, *ids[:5], *(i[:2] for i in ids[:5])]:
        hits = [e.id for e in index.rows_from(index.first_at_least(probe.encode()))]
        assert hits == [i for i in ordered if i.encode() >= probe.encode()]
    assert index.counts() == (len(ids), len(ids))


def test_an_empty_or_missing_index_finds_nothing(tmp_path):
    (tmp_path / "empty.tsv").write_text("")
    for path in (tmp_path / "empty.tsv", tmp_path / "missing.tsv"):
        index = registry._Index(str(path))
        assert list(index.rows()) == [] and index.first_at_least(b"a") == 0


@pytest.fixture
def big_catalog(tmp_path, monkeypatch):
    """5,000 models in the index (two with specs); reading the whole index is an error."""
    ids = [f"synth/model-{i:05d}" for i in range(5000)]
    write_index(tmp_path / "_index.tsv", ids)
    (tmp_path / "_specs").mkdir()
    spec = json.loads((ROOT / "src/vtrix/models/_specs/kirin_v3_i2v.json").read_text())
    for i in ("synth/model-00042", "synth/model-04999"):
        module = i.replace("/", "_").replace("-", "_")
        data = {**spec, "id": i, "module": module}
        (tmp_path / "_specs" / f"{module}.json").write_text(json.dumps(data))
    monkeypatch.setattr(registry, "_DIR", str(tmp_path))
    monkeypatch.setattr(registry, "_INDEX", None)

    def whole(self):
        raise AssertionError("the whole index was read")

    monkeypatch.setattr(registry._Index, "rows", whole)
    return ids


def test_run_help_with_thousands_of_models_shows_the_count_and_how_to_search(big_catalog):
    r = CliRunner().invoke(cli, ["run", "--help"])
    assert r.exit_code == 0, r.output
    assert "Models: 5,000 with typed options (5,000 in the catalog)" in r.output
    assert "vtrix models list --search" in r.output and "synth/model-00001" not in r.output
    assert len(r.output.splitlines()) < 40


def test_a_model_help_and_completion_read_only_their_rows(big_catalog):
    r = CliRunner().invoke(cli, ["run", "synth/model-00042", "--help"])
    assert r.exit_code == 0, r.output
    assert "--resolution [480p|720p|1080p]" in r.output
    complete = ShellComplete(cli, {}, "vtrix", "_VTRIX_COMPLETE")
    items = complete.get_completions(["run"], "synth/model-0499")
    assert [i.value for i in items] == [f"synth/model-0499{d}" for d in range(10)]
    assert items[0].help.startswith("video · summary of")
    keys = complete.get_completions(["run", "synth/model-04999", "--param"], "res")
    assert [i.value for i in keys] == ["resolution="]
    spec_ids = complete.get_completions(["models", "spec"], "synth/model-0000")
    assert len(spec_ids) == 10


def test_completion_script_for_each_shell():
    for shell, marker in (
        ("bash", "complete -o"),
        ("zsh", "compdef"),
        ("fish", "complete --no-files --command vtrix"),
    ):
        r = CliRunner().invoke(cli, ["completion", shell])
        assert r.exit_code == 0 and marker in r.output and "_VTRIX_COMPLETE" in r.output
    r = CliRunner().invoke(cli, ["completion", "tcsh"])
    assert (
        r.exit_code == 2 and "'tcsh' is not a shell" in r.output and "bash, zsh, fish" in r.output
    )
