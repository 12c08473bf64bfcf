"""Record: the one base of every immutable value type in consent.

Fields are a class's annotations, in order, after those of its Record base classes; a class
attribute gives a field its default. Instances are slotted, immutable, compared and hashed by
type and values, and copied with `.replace(...)`. `dataclass_transform` lets the type checker
treat a Record as a frozen dataclass (typed constructor).

Why not dataclasses: importing `dataclasses` and defining 15 frozen slotted dataclasses costs a
process about 9 ms, against about 0.1 ms for 15 Records (measured with the figures in
docs/architecture.md), and a host command defines that many on every run.

Annotations must be resolvable by `typing.get_type_hints`, yet `typing` is not imported at run
time (it costs a host without typer about 2 ms): a module that needs a `Literal` alias defines
it under `TYPE_CHECKING` for the type checker and as its base type (`str`) otherwise.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from typing_extensions import Self, dataclass_transform

    R = TypeVar("R", bound="Record")
else:

    def dataclass_transform(**_: object) -> object:
        return lambda cls: cls


_DERIVED = object()


def derived(*, init: bool = False) -> Any:
    """Marks derived state (`_cache: dict[str, int] = derived(init=False)`): a slot that is not a field,
    set in `__post_init__` with object.__setattr__. `init` exists for the type checker."""
    return _DERIVED


class _RecordMeta(type):
    """Collects the fields (inherited first), moves defaults out of the way of `__slots__`."""

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> _RecordMeta:
        fields: list[str] = []
        defaults: dict[str, object] = {}
        for base in reversed(bases):
            for field in getattr(base, "_fields", ()):
                if field not in fields:
                    fields.append(field)
            defaults.update(getattr(base, "_defaults", {}))
        own: list[str] = []
        private: list[str] = []  # derived state (`_name`): a slot, but not a field
        # The class's own annotations: strings under PEP 563, never evaluated here.
        for field, annotation in namespace.get("__annotations__", {}).items():
            if str(annotation).startswith("ClassVar"):
                continue
            if field.startswith("_") or namespace.get(field) is _DERIVED:
                namespace.pop(field, None)
                private.append(field)
                continue
            if field not in fields:
                fields.append(field)
                own.append(field)
            if field in namespace:
                defaults[field] = namespace.pop(field)
            elif field in defaults and field in own:
                del defaults[field]
        namespace["__slots__"] = (*own, *private)
        namespace["_fields"] = tuple(fields)
        namespace["_defaults"] = defaults
        return super().__new__(mcs, name, bases, namespace, **kwargs)


@dataclass_transform(frozen_default=True, kw_only_default=False, field_specifiers=(derived,))
class Record(metaclass=_RecordMeta):
    """An immutable value: `Point(1, 2)`, `Point(x=1, y=2)`, `p.replace(y=3)`."""

    __slots__ = ()
    if TYPE_CHECKING:
        _fields: tuple[str, ...]
        _defaults: dict[str, object]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Every host command builds its app's spec (a Record per field and event) on every run:
        # positional values are set straight, and only the fields after them are looked up.
        fields = self._fields
        given = len(args)
        if given > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} fields, got {given}")
        setter = object.__setattr__
        for name, value in zip(fields, args, strict=False):
            setter(self, name, value)
        if given < len(fields) or kwargs:
            rest = fields[given:]
            for key in kwargs:
                if key not in rest:  # a typo names the wrong key before any missing field
                    raise TypeError(f"{type(self).__name__}: unexpected or repeated field {key!r}")
            defaults = self._defaults
            for name in rest:
                if name in kwargs:
                    value = kwargs[name]
                elif name in defaults:
                    value = defaults[name]
                else:
                    raise TypeError(f"{type(self).__name__}: missing field {name!r}")
                setter(self, name, value)
        self.__post_init__()

    def __post_init__(self) -> None:
        """Validate or derive after the fields are set (object.__setattr__ for derived slots)."""

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use .replace()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use .replace()")

    def replace(self, **changes: Any) -> Self:
        values = {f: getattr(self, f) for f in self._fields}
        values.update(changes)
        return type(self)(**values)

    def astuple(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in self._fields)

    def asdict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self._fields}

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.astuple() == other.astuple()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.astuple()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({inner})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self.astuple())
