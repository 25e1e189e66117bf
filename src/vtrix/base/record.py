"""``@record``: dataclass-like classes that cost almost nothing to define.

``dataclasses`` writes and compiles code for every class it decorates, which the small value classes
a network command loads would pay on every start (start-up: docs/architecture.md). A record keeps
the dataclass surface vtrix uses — fields in order with defaults (or ``field(default_factory=…)``),
keyword or positional construction, ``repr``, ``==``, ``frozen`` — with one shared ``__init__`` and
no code generation. Type checkers see a dataclass (PEP 681 ``dataclass_transform``), so constructors
stay checked.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar, overload

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover - Python 3.10
    from typing_extensions import dataclass_transform

T = TypeVar("T")
_MISSING = object()


class Default:
    """A field's default and how it takes part: made afresh for each instance (``make``) or
    one value; shown in ``repr``; compared by ``==`` (and hashed when frozen)."""

    __slots__ = ("compare", "make", "repr", "value")

    def __init__(
        self, value: Any, make: Callable[[], Any] | None, repr: bool, compare: bool
    ) -> None:
        self.value, self.make, self.repr, self.compare = value, make, repr, compare

    def get(self) -> Any:
        return self.make() if self.make is not None else self.value


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """A field with a default (``default``, or one made by ``default_factory`` for each
    instance), left out of ``repr`` or of ``==``/``hash`` when asked."""
    return Default(default, default_factory, repr, compare)


def replace(obj: T, **changes: Any) -> T:
    """A copy of record ``obj`` with ``changes`` (as ``dataclasses.replace``)."""
    cls: Any = type(obj)
    copy: T = cls(**{**{n: getattr(obj, n) for n in cls.__record_fields__}, **changes})
    return copy


def _put(cls: type, name: str, value: Any) -> None:
    type.__setattr__(cls, name, value)  # (an assignment to a class's dunder: mypy says no)


def _fields(cls: type) -> list[tuple[str, Any]]:
    """(name, default or _MISSING) for every field, inherited ones first."""
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, kind in vars(klass).get("__annotations__", {}).items():
            if str(kind).startswith(("ClassVar", "typing.ClassVar")):
                continue
            out[name] = klass.__dict__.get(name, out.get(name, _MISSING))
    return list(out.items())


def _build(cls: type[T], frozen: bool) -> type[T]:
    fields = _fields(cls)
    names = tuple(n for n, _ in fields)
    defaults = {n: d for n, d in fields if d is not _MISSING}
    hidden = {n for n, d in defaults.items() if isinstance(d, Default) and not d.repr}
    shown = tuple(n for n in names if n not in hidden)
    compared = tuple(
        n for n in names if not (isinstance(defaults.get(n), Default) and not defaults[n].compare)
    )
    for name, d in list(defaults.items()):
        if isinstance(d, Default) and d.make is None and d.value is _MISSING:
            del defaults[name]  # field(repr=…, compare=…) without a default: required
    for name in defaults:  # the class attribute must not shadow the instance's value
        if name in cls.__dict__:
            delattr(cls, name)
    setter = object.__setattr__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__}() takes {len(names)} positional arguments")
        for name, value in zip(names, args, strict=False):
            if name in kwargs:
                raise TypeError(f"{cls.__name__}() got two values for {name!r}")
            setter(self, name, value)
        for name in names[len(args) :]:
            if name in kwargs:
                setter(self, name, kwargs.pop(name))
                continue
            default = defaults.get(name, _MISSING)
            if default is _MISSING:
                raise TypeError(f"{cls.__name__}() missing argument {name!r}")
            setter(self, name, default.get() if isinstance(default, Default) else default)
        if kwargs:  # what is left names no field
            raise TypeError(f"{cls.__name__}() got unexpected arguments {sorted(kwargs)}")
        post = getattr(self, "__post_init__", None)
        if post is not None:
            post()

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in shown)
        return f"{cls.__qualname__}({inner})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in compared)

    _put(cls, "__init__", __init__)
    if "__repr__" not in cls.__dict__:
        _put(cls, "__repr__", __repr__)
    _put(cls, "__eq__", __eq__)
    _put(cls, "__match_args__", names)
    _put(cls, "__record_fields__", names)
    if frozen:

        def __setattr__(self: Any, name: str, value: Any) -> None:
            raise AttributeError(f"{cls.__name__} is frozen: cannot set {name!r}")

        def __hash__(self: Any) -> int:
            return hash(tuple(getattr(self, n) for n in compared))

        _put(cls, "__setattr__", __setattr__)
        _put(cls, "__delattr__", __setattr__)
        _put(cls, "__hash__", __hash__)
    else:
        _put(cls, "__hash__", None)  # mutable, like a dataclass
    return cls


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(field,))
def record(cls: type[T] | None = None, /, *, frozen: bool = False) -> Any:
    """Make ``cls`` a record (see the module docstring); ``@record`` or ``@record(frozen=True)``."""
    if cls is None:
        return lambda c: _build(c, frozen)
    return _build(cls, frozen)
