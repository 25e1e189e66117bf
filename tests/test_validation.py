"""Parameter parsing, coercion and validation; generated vs dynamic models agree."""

from __future__ import annotations

import importlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vtrix.engine import registry
from vtrix.engine.params import BodyBuilder, coerce, load_body, parse_assignment
from vtrix.spec.names import dedupe, is_safe_identifier, python_name
from vtrix.spec.validate import validate

KIRIN = registry.generated_spec("kirin_v3_i2v")
assert KIRIN is not None


@given(
    st.text(min_size=1).filter(lambda k: "=" not in k and "." not in k and k.strip() == k and k),
    st.text(),
)
def test_param_splits_at_the_first_equals(key, value):
    path, text, problem = parse_assignment(f"{key}={value}")
    assert problem is None and path == (key,) and text == value


def test_string_stays_a_string_even_when_it_looks_like_a_number():
    b = BodyBuilder(KIRIN.schema)
    b.add_params(["prompt=123", "seed=-1", "duration=6", "image_url=true"])
    assert b.body == {"prompt": "123", "seed": -1, "duration": 6, "image_url": "true"}
    assert b.problems == []


def test_duplicates_and_conflicts_are_problems():
    spec = registry.generated_spec("kirin_v2_6_i2v")
    b = BodyBuilder(spec.schema)
    b.add_params(
        [
            "image=a",
            "image=b",
            'camera_control={"type":"x"}',
            "camera_control.type=simple",
            "novalue",
            ".bad=1",
        ]
    )
    text = "\n".join(map(str, b.problems))
    assert "image: given twice" in text
    assert "camera_control.type: conflicts with camera_control" in text
    assert "novalue: expected key=value" in text
    assert "bad parameter name" in text


def test_body_base_is_extended_by_params():
    base, problems = load_body('{"image_url": "u", "duration": 5}', None)
    b = BodyBuilder(KIRIN.schema, base)
    b.add_params(["duration=7"])
    assert b.body == {"image_url": "u", "duration": 7} and not problems + b.problems
    assert load_body("[1]", None)[1][0].message.startswith("must be a JSON object")
    assert "not valid JSON" in load_body("{", None)[1][0].message


def test_coercion_errors_name_the_path():
    assert (
        coerce("abc", {"type": "integer"}, "duration")[1].message
        == "expected an integer, got 'abc'"
    )
    assert coerce("nan", {"type": "number"}, "x")[1] is not None
    assert coerce("yes", {"type": "boolean"}, "x") == (True, None)
    assert "JSON array" in coerce("[1", {"type": "array"}, "content")[1].message


def test_every_validation_error_kind():
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["p"],
        "properties": {
            "p": {"type": "string", "minLength": 2, "maxLength": 4},
            "n": {"type": "integer", "minimum": 1, "maximum": 3},
            "e": {"type": "string", "enum": ["a", "b"]},
            "l": {"type": "array", "maxItems": 1, "items": {"type": "string"}},
            "o": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"k": {"type": "boolean"}},
                "required": ["k"],
            },
            "r": {"type": "string", "pattern": "^https://"},
        },
    }
    problems = {
        p.path: p.message
        for p in validate(
            {"n": 9, "e": "c", "l": ["x", "y"], "o": {"kk": True}, "r": "ftp://", "pp": 1}, schema
        )
    }
    assert problems["p"] == "required, but not given"
    assert problems["n"] == "expected an integer in range 1–3, got 9"
    assert problems["e"] == 'expected one of a | b, got "c"'
    assert problems["l"] == 'expected an array of at most 1 item, got ["x", "y"]'
    assert problems["o.k"] == "required, but not given"
    assert problems["o.kk"] == "unknown parameter; did you mean 'k'?"
    assert problems["r"].startswith("expected a string matching ^https://")
    assert problems["pp"] == "unknown parameter; did you mean 'p'?"
    assert validate({"p": "x"}, schema)[0].message == 'expected a string of 2–4 characters, got "x"'


# --------------------------------------------------------------- names (hypothesis)


@given(st.text())
def test_python_name_is_always_safe(wire):
    assert is_safe_identifier(python_name(wire))


@given(st.lists(st.text(max_size=6), max_size=20))
def test_dedupe_is_unique_and_deterministic(names):
    safe = [python_name(n) for n in names]
    out = dedupe(safe)
    assert len(set(out)) == len(out) == len(safe)
    assert out == dedupe(safe)


# ------------------------------------- generated Params == the kinds checker (hypothesis)


def _value_strategy(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-20, 20),
        st.floats(-20, 20, allow_nan=False),
        st.text(max_size=5),
    )
    kind = schema.get("type")
    options = [scalars]
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    if kind == "integer":
        lo, hi = schema.get("minimum", -50), schema.get("maximum", 50)
        options.append(st.integers(int(lo) - 2, int(hi) + 2))
    if kind == "string":
        options.append(st.text(max_size=schema.get("maxLength", 8) + 2))
    if kind == "array" and depth < 2:
        options.append(
            st.lists(
                _value_strategy(schema.get("items") or {}, depth + 1),
                max_size=schema.get("maxItems", 3) + 1,
            )
        )
    if kind == "object" and depth < 2:
        options.append(_object_strategy(schema, depth + 1))
    return st.one_of(options)


def _object_strategy(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    props = schema.get("properties", {})
    keys = [*list(props), "zz_unknown"]
    return st.fixed_dictionaries(
        {}, optional={k: _value_strategy(props.get(k, {}), depth) for k in keys}
    )


GENERATED = [e for e in registry.entries() if e.module]


def _pydantic_paths(cls: Any, value: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The fields a generated ``Params`` class refuses in ``value`` (strict, as the wire),
    named as the checker names them (``content[0].text``)."""
    from pydantic import ValidationError

    from vtrix.spec.walk import at

    try:
        cls.model_validate(value, strict=True)
    except ValidationError as exc:
        out = set()
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            # pydantic adds type names for Literal/union internals: keep the schema's parts
            while loc and at(schema, loc) is None and err["type"] != "extra_forbidden":
                loc = loc[:-1]
            path = ""
            for part in loc:
                path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
            out.add(path)
        return out
    return set()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_generated_params_and_the_kinds_checker_agree(data):
    """The command line checks with the spec's kinds (no pydantic), the typed SDK with the
    generated class: the same verdict, and the same fields named."""
    entry = data.draw(st.sampled_from(GENERATED))
    spec = registry.generated_spec(entry.id)
    generated = importlib.import_module(f"vtrix.models.{entry.module}").Params
    value = data.draw(_object_strategy(spec.schema))
    a = _pydantic_paths(generated, value, spec.schema)
    b = {p.path for p in validate(value, spec.schema)}
    # One difference, on purpose: pydantic's Literal takes false for 0 and true for 1;
    # the checker does not (a boolean sent as a duration is never what was meant).
    stricter = {
        p
        for p in b - a
        if isinstance(value.get(p), bool)
        and not any(isinstance(v, bool) for v in spec.schema["properties"][p].get("enum", [True]))
    }
    assert a == b - stricter, (entry.id, value, a, b)


def test_progress_bar_matches_the_seed_line():
    from vtrix.cli.output import progress_bar

    assert progress_bar(96, 3.2) == "████████████████████████░  96%  ~3s remaining"
    assert progress_bar(100, None) == "█" * 25 + " 100%"


def test_eta_drives_the_next_poll():
    """Polls follow the progress rate: a 10 s task is seen done within 0.5 s of its end,
    with about one poll a second (fake clock, mock transport)."""
    from vtrix.engine.polling import PollPlan, wait_plan
    from vtrix.http import MockTransport, Response
    from vtrix.store.config import Settings
    from vtrix.wire.vtrix.adapter import VtrixProvider

    now = [0.0]
    polls: list[float] = []

    def answer(request):
        polls.append(now[0])
        progress = min(now[0] / 10 * 100, 100)
        body = {
            "id": "t",
            "status": "completed" if progress >= 100 else "in_progress",
            "progress": progress,
        }
        return Response(200, {}, json.dumps(body).encode(), request.url)

    prov = VtrixProvider(Settings(), MockTransport(answer, clock=lambda: now[0]))
    prov.http.clock = lambda: now[0]
    prov.http.sleep = lambda d: now.__setitem__(0, now[0] + d)
    state = prov.http.run(wait_plan(prov, "t", timeout=60, plan=PollPlan(jitter=0)))
    assert state.done
    assert len(polls) <= 10 + 2
    assert polls[-1] - 10 < 0.5


def test_the_typed_functions_refuse_a_boolean_for_a_numeric_choice(home, monkeypatch):
    """pydantic's Literal[0, …] takes False for 0; the one checker (every front end's) does
    not, so a typed call cannot send ``duration: false`` to be paid for."""
    import socket

    import pytest

    from vtrix import Client
    from vtrix.errors import ValidationFailed
    from vtrix.models import alibaba_wan2_7_videoedit as edit

    monkeypatch.setattr(socket, "socket", lambda *a, **k: pytest.fail("a socket was opened"))
    client = Client(api_key="sk-test-12345678")
    with pytest.raises(ValidationFailed) as refused:
        edit.submit(video_url="https://example.com/a.mp4", duration=False, client=client)  # type: ignore[arg-type]
    assert refused.value.problems[0].path == "duration"
