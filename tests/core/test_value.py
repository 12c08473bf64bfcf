"""Record, the one base of consent's value types: fields, inheritance, slots, immutability."""

from __future__ import annotations

import importlib
import pickle
import pkgutil
import typing

import pytest

import consent
from consent._core.value import Record, derived


class Base(Record):
    name: str
    size: int = 0


class Child(Base):
    tags: tuple[str, ...] = ()
    _cache: dict[str, int] | None = derived(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cache", {"size": self.size})


def test_fields_are_inherited_in_order_with_their_defaults() -> None:
    c = Child("a", tags=("x",))
    assert Child._fields == ("name", "size", "tags")
    assert (c.name, c.size, c.tags) == ("a", 0, ("x",))
    assert c == Child(name="a", size=0, tags=("x",))
    assert c != Base("a")  # another type is never equal, whatever the values


def test_slots_only_and_immutable() -> None:
    c = Child("a")
    assert not hasattr(c, "__dict__")
    assert set(Child.__slots__) == {"tags", "_cache"}
    with pytest.raises(AttributeError, match="immutable"):
        c.name = "b"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del c.name  # type: ignore[misc]


def test_derived_state_is_a_slot_not_a_field() -> None:
    c = Child("a", 3)
    assert c._cache == {"size": 3}
    assert "_cache" not in Child._fields
    assert c.replace(size=4)._cache == {"size": 4}  # recomputed, never copied


def test_constructor_refuses_missing_extra_and_repeated_fields() -> None:
    with pytest.raises(TypeError, match="missing field 'name'"):
        Child()
    with pytest.raises(TypeError, match="unexpected"):
        Child("a", colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="repeated"):
        Child("a", name="b")  # type: ignore[misc]
    with pytest.raises(TypeError, match="takes 3 fields"):
        Child("a", 1, (), 4)  # type: ignore[call-arg]


class Pair(Record):
    x: int
    y: int


@pytest.mark.parametrize(
    ("args", "kwargs", "named"),
    [((), {"x": 1, "z": 2}, "z"), ((1,), {"x": 2}, "x"), ((), {"z": 1}, "z")],
    ids=["typo", "repeated", "only-a-typo"],
)
def test_a_wrong_keyword_is_named_before_any_missing_field(
    args: tuple[int, ...], kwargs: dict[str, int], named: str
) -> None:
    """A typo in a keyword (`AppSpec(envprefix=...)`) is what the author must read first: the
    fields it left missing follow from it."""
    with pytest.raises(TypeError, match=f"unexpected or repeated field '{named}'"):
        Pair(*args, **kwargs)


def test_hash_repr_replace_and_pickle() -> None:
    c = Child("a", 1, ("t",))
    assert hash(c) == hash(Child("a", 1, ("t",)))
    assert repr(c) == "Child(name='a', size=1, tags=('t',))"
    assert c.replace(name="b") == Child("b", 1, ("t",)) and c.name == "a"
    assert c.asdict() == {"name": "a", "size": 1, "tags": ("t",)}
    assert pickle.loads(pickle.dumps(c)) == c


def _modules() -> list[str]:
    """Every importable module of the consent package (not the audit hook, not __main__)."""
    return [
        info.name
        for info in pkgutil.walk_packages(consent.__path__, "consent.")
        if "._audit" not in info.name and not info.name.endswith(".__main__")
    ]


def _records() -> list[type[Record]]:
    """Every Record subclass defined anywhere in the consent package."""
    for name in _modules():
        importlib.import_module(name)
    found: list[type[Record]] = []
    todo = list(Record.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("consent."):
            found.append(cls)
    return found


def test_every_record_in_the_package_has_resolvable_annotations() -> None:
    records = _records()
    # The value types of every layer are Records: the registry, the decision, the wire, the
    # collector's.
    names = {cls.__name__ for cls in records}
    assert {"AppSpec", "Field", "Decision", "TomlReading", "Job", "Request", "Received"} <= names
    for cls in records:
        hints = typing.get_type_hints(cls)
        assert set(cls._fields) <= set(hints), cls


def test_no_dataclasses_in_the_package() -> None:
    """One style for value types: a dataclass anywhere in consent is a second style."""
    import dataclasses

    for name in _modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == name:
                assert not dataclasses.is_dataclass(value), f"{name}.{value.__name__}"
