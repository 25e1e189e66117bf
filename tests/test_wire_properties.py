"""Property tests over arbitrary gateway answers: whatever a gateway sends, only vtrix's typed
errors escape (never a TypeError, KeyError or traceback after paying)."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vtrix.errors import VtrixError
from vtrix.http import MockTransport, Response
from vtrix.store.config import Settings
from vtrix.wire.fal.adapter import FalProvider
from vtrix.wire.modellix.adapter import ModellixProvider
from vtrix.wire.replicate.adapter import ReplicateProvider
from vtrix.wire.vtrix.adapter import VtrixProvider
from vtrix.wire.wavespeed.adapter import WaveSpeedProvider

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=25,
)
KEYS = st.sampled_from(
    [
        "id",
        "task_id",
        "status",
        "output",
        "content",
        "url",
        "result",
        "resources",
        "error",
        "progress",
        "usage",
        "cost",
        "data",
        "code",
        "model",
        "model_id",
        "created_at",
        "message",
        "request_id",
        "queue_position",
        "error_type",
        "outputs",
        "completed_at",
        "data_removed",
        "metrics",
    ]
)
# Answers shaped like the real ones (the documented keys), with arbitrary values in them.
SHAPED = st.recursive(
    JSON,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=30,
)
PROVIDERS = [
    cls(Settings())
    for cls in (VtrixProvider, ModellixProvider, FalProvider, ReplicateProvider, WaveSpeedProvider)
]
SETTINGS = settings(
    max_examples=50,  # per provider and parser: 500 answers in all
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
@SETTINGS
@given(answer=SHAPED)
def test_parse_task_raises_only_typed_errors(home, provider, answer):
    try:
        state = provider.parse_task(answer, "task_1")
    except VtrixError:
        return
    assert state.id == "task_1"
    assert all(isinstance(u, str) for u in state.urls)
    assert state.progress is None or 0 <= state.progress <= 100


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
@SETTINGS
@given(answer=SHAPED)
def test_parse_submit_raises_only_typed_errors(home, provider, answer):
    try:
        state = provider.parse_submit(answer, "m")
    except VtrixError:
        return
    assert state.id and isinstance(state.id, str)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    status=st.sampled_from([200, 201, 204, 301, 400, 401, 402, 403, 404, 409, 422, 429, 500]),
    body=st.binary(max_size=60) | JSON.map(lambda v: json.dumps(v).encode()),
    headers=st.dictionaries(
        st.sampled_from(["retry-after", "retry-after-ms", "x-should-retry", "location"]),
        st.text(max_size=30),
        max_size=3,
    ),
)
def test_any_status_body_and_headers_end_in_a_typed_error_or_a_state(home, status, body, headers):
    def answer(request):
        return Response(status, headers, body, request.url)

    prov = VtrixProvider(Settings(), MockTransport(answer))
    prov.http.sleep = lambda s: None
    prov.http.read_budget = 0.5
    with contextlib.suppress(VtrixError):  # anything else fails the test
        prov.http.run(prov.task_plan("task_1"))
