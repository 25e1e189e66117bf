"""What the generated typed functions call: validation with the generated ``Params`` and
submission through a :class:`vtrix.Client`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

    from vtrix.client import Client, Result, Task


def submit_model(
    model_id: str, params_model: type[BaseModel], values: dict[str, Any], client: Client | None
) -> Task:
    from vtrix import registry
    from vtrix.client import Client
    from vtrix.errors import ValidationFailed
    from vtrix.validate import validate

    spec = registry.generated_spec(model_id)
    assert spec is not None, model_id
    problems = validate(values, spec.schema, params_model)
    if problems:
        raise ValidationFailed(model_id, problems)
    client = client or Client()
    request = client.provider(spec.provider).prepare_submit(spec, values)
    return client.submit_prepared(request, spec)


def run_model(
    model_id: str,
    params_model: type[BaseModel],
    values: dict[str, Any],
    client: Client | None,
    timeout: float,
) -> Result:
    task = submit_model(model_id, params_model, values, client)
    return task.wait(timeout=timeout)
