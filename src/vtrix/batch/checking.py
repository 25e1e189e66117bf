"""Every line of a batch checked against its model's spec before the first submit, as
``vtrix run`` checks a command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vtrix.base.record import record
from vtrix.batch.input import Line
from vtrix.errors import ValidationFailed, VtrixError

if TYPE_CHECKING:
    from vtrix.client import Client
    from vtrix.engine.prepare import Prepared


@record
class Checked:
    """A line after validation: ready to send, or its problems."""

    line: Line
    prepared: Prepared | None
    problems: list[str]


def validate_lines(client: Client, lines: list[Line]) -> list[Checked]:
    """Every line checked against its model's spec, as ``vtrix run`` checks a command line."""
    from vtrix.engine.params import BodyBuilder

    resolved: dict[str, Any] = {}
    out = []
    for line in lines:
        if line.problem:
            out.append(Checked(line, None, [line.problem]))
            continue
        try:
            if line.model not in resolved:
                resolved[line.model] = client.resolve(line.model)
            res = resolved[line.model]
            builder = BodyBuilder(res.spec.schema if res.checked else None, line.params)
            builder.add_params(line.texts)
            if builder.problems:
                out.append(Checked(line, None, [str(p) for p in builder.problems]))
                continue
            out.append(Checked(line, client.prepare(line.model, builder.body, resolved=res), []))
        except ValidationFailed as exc:
            out.append(Checked(line, None, [str(p) for p in exc.problems]))
        except VtrixError as exc:
            out.append(Checked(line, None, [exc.message]))
    return out
