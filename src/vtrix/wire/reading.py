"""Reading gateway answers strictly: anything not in the documented shape is a
:class:`~vtrix.errors.BadAnswer` naming what was read and why, its body kept in a file; free
text is cleaned and capped before anyone sees it. Every adapter reads its answers with these."""

from __future__ import annotations

import json
import re
from typing import Any

from vtrix.base.text import clean_line
from vtrix.errors import BadAnswer

TASK_ID_TEXT = re.compile(r"^[\x21-\x7e]{1,256}\Z")  # printable ASCII, no spaces
URL_TEXT = re.compile(r"^[\x21-\x7e]{1,8192}\Z")


def bad_answer(what: str, reason: str, raw: Any) -> BadAnswer:
    """A BadAnswer for ``raw`` (kept in a file, named in the message)."""
    from vtrix.base.answers import keep

    path = keep(what, raw)
    saved = f"; the answer was saved to {path}" if path else ""
    return BadAnswer(
        f"{what}: the gateway's answer is not usable: {reason}{saved}",
        hint="This is the gateway's fault, not yours; report it with that file.",
    )


def task_id_of(value: Any, what: str, raw: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not TASK_ID_TEXT.match(value):
        shown = clean_line(repr(value), 80)
        raise bad_answer(what, f"no usable task id (got {shown})", raw)
    return value


def url_of(value: Any, what: str, raw: Any) -> str:
    if not isinstance(value, str) or not URL_TEXT.match(value):
        raise bad_answer(
            what, f"a result URL is not a URL (got {clean_line(repr(value), 80)})", raw
        )
    return value


def text_of(value: Any) -> str | None:
    """Free text from an answer (an error, a status) for people: cleaned, capped."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, dict):
            value = value.get("error_message") or value.get("message") or json.dumps(value)
        return clean_line(value if isinstance(value, str) else json.dumps(value, default=str), 500)
    except (RecursionError, ValueError):
        return "(a value nested too deeply to show)"


def list_of(value: Any, name: str, what: str, raw: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_answer(what, f"'{name}' is not a list", raw)
    return value


def dict_of(value: Any, name: str, what: str, raw: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_answer(what, f"'{name}' is not an object", raw)
    return value
