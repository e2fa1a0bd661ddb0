"""A tiny name -> object registry, so metrics, extractors and datasets plug in by name."""

from __future__ import annotations

from typing import Callable, Dict, Generic, Iterable, List, TypeVar

from .errors import GanbenchError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._items: Dict[str, T] = {}

    def register(self, name: str, *aliases: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            self.add(name, obj, *aliases)
            return obj

        return deco

    def add(self, name: str, obj: T, *aliases: str) -> None:
        for key in (name, *aliases):
            if key in self._items:
                raise ValueError(f"{self.kind} {key!r} is registered twice")
            self._items[key] = obj

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(self.names())
            raise GanbenchError(f"unknown {self.kind} {name!r}: known {self.kind}s are {known}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def names(self) -> List[str]:
        return sorted(self._items)

    def items(self) -> Iterable:
        return sorted(self._items.items())
