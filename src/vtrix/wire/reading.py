"""Reading gateway answers strictly: anything not in the documented shape is a
:class:`~vtrix.errors.BadAnswer` naming what was read and why, its body kept in a file; free
text is cleaned and capped before anyone sees it. Every adapter reads its answers with these."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
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


def task_of(value: Any, task_id: str | None, what: str, raw: Any) -> str:
    """The id an answer names its task by, checked: when ``task_id`` was asked about, the
    answer must be about that task."""
    found = task_id_of(value, what, raw)
    if task_id is not None and found != task_id:
        raise bad_answer(what, f"it is about task {found!r}, not {task_id!r}", raw)
    return found


def status_in(table: dict[str, str], remote: Any, *, fold: bool = False) -> str:
    """vtrix's status for a gateway's status word (``fold``: compared in lower case); a
    word the table does not know, or no word, is ``unknown``."""
    from vtrix.task import UNKNOWN

    if not isinstance(remote, str):
        return UNKNOWN
    return table.get(remote.lower() if fold else remote, UNKNOWN)


def urls_in(node: Any, what: str, raw: Any, pick: Callable[[Any, int], Any]) -> list[str]:
    """The result URLs anywhere in an answer, in the order they come, each once: ``pick``
    says what a node (at a depth) holds — a URL, or None to look inside it."""
    urls: list[str] = []

    def walk(node: Any, depth: int) -> None:
        if depth > 12:
            return
        found = pick(node, depth)
        if found is not None:
            urls.append(url_of(found, what, raw))
        elif isinstance(node, dict):
            for value in node.values():
                walk(value, depth + 1)
        elif isinstance(node, list):
            for value in node:
                walk(value, depth + 1)

    walk(node, 0)
    return list(dict.fromkeys(urls))


def outcome_of(table: dict[str, str], remote: Any, error: Any) -> tuple[str, str | None]:
    """(vtrix's status, the error in words) of a task whose gateway says ``remote`` and
    ``error``: a success that carries an error is a failure."""
    from vtrix.task import FAILED, SUCCEEDED

    status, words = status_in(table, remote), text_of(error)
    return (FAILED if status == SUCCEEDED and words else status), words
