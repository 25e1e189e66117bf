"""Jinja2 environment and the filters through which every spec string reaches generated files:
``pyrepr`` (a Python literal), ``docstring`` (escaped docstring text), ``ident`` (a checked
identifier), ``md`` (escaped Markdown text), ``code`` (a Markdown code span) and ``tsv`` (an
index cell). StrictUndefined makes a missing value an error."""

from __future__ import annotations

import pprint
import re
from pathlib import Path
from typing import Any

import jinja2

from vtrix.base.text import clean_text
from vtrix.spec.names import is_safe_identifier

TEMPLATES = Path(__file__).parent / "templates"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def pyrepr(value: Any) -> str:
    """A Python literal for JSON data; deterministic (dicts keep their order)."""
    return pprint.pformat(value, width=96, sort_dicts=False)


def docstring(text: Any) -> str:
    """Text safe inside a triple-double-quoted docstring."""
    s = _CONTROL.sub(" ", str(text))
    s = s.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if s.endswith('"'):
        s += " "
    return s


def ident(name: Any) -> str:
    if not isinstance(name, str) or not is_safe_identifier(name):
        raise ValueError(f"unsafe identifier in generated code: {name!r}")
    return name


def md(text: Any) -> str:
    s = clean_text(text)
    for ch in "\\`*_[]<>|":
        s = s.replace(ch, "\\" + ch)
    return s


def code(text: Any) -> str:
    """A Markdown code span (table-safe): nothing escaped inside but the cell separator."""
    s = clean_text(text).replace("|", "\\|")
    fence = "``" if "`" in s else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def code_or_dash(text: Any) -> str:
    return "—" if text in ("", "—") else code(text)


def tsv(text: Any) -> str:
    """One cell of the index: no tabs, line breaks or control characters."""
    return clean_text(text)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pyrepr=pyrepr,
        docstring=docstring,
        ident=ident,
        md=md,
        code=code,
        code_or_dash=code_or_dash,
        tsv=tsv,
    )
    return env
