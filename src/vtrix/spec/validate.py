"""Validation of a request body against a model's normalised schema: one checker for every
front end (the command line, the SDK, its typed functions, MCP and the sandbox), with the
spec's own kinds (:mod:`vtrix.spec.check`: no pydantic). A property test holds the generated
``Params`` classes to the same verdict. Errors are :class:`~vtrix.errors.Problem`s that name
the path, what was expected and what was given."""

from __future__ import annotations

from typing import Any

from vtrix.errors import Problem
from vtrix.spec.check import check


def validate(params: dict[str, Any], schema: dict[str, Any]) -> list[Problem]:
    """Every problem of ``params`` against ``schema`` (empty when valid)."""
    return check(params, schema)
