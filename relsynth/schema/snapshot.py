"""A ``Schema`` as versioned JSON: ``{"format": "relsynth.schema", "version": 1, "schema": {...}}``.

The encoding follows the dataclasses of ``relsynth.schema.elements`` field by field (tuples as
lists, enums as their values, a ``QualifiedName`` as ``{"schema", "name"}``), so a round trip gives
an equal ``Schema``. Reading a different format or version raises ``ArtifactError``.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from enum import Enum
from functools import cache
from typing import Any

from relsynth.errors import ArtifactError
from relsynth.schema import elements
from relsynth.schema.elements import Schema

__all__ = ["FORMAT", "VERSION", "element_from_dict", "element_to_dict", "from_dict", "from_json", "to_dict", "to_json"]

FORMAT = "relsynth.schema"
VERSION = 1


def to_dict(schema: Schema) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "schema": _encode(schema)}


def to_json(schema: Schema) -> str:
    return json.dumps(to_dict(schema), indent=2, ensure_ascii=False, sort_keys=False)


def from_dict(data: dict[str, Any]) -> Schema:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ArtifactError(
            f"not a relsynth schema snapshot (format {found!r}, expected {FORMAT!r}); "
            "pass a file written by relsynth's schema snapshot"
        )
    version = data.get("version")
    if version != VERSION:
        raise ArtifactError(
            f"schema snapshot version {version!r} is not supported (this relsynth reads version {VERSION}); "
            "introspect the source again with this relsynth version"
        )
    try:
        return _decode(Schema, data["schema"])
    except ArtifactError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"schema snapshot is damaged: {exc!r}; introspect the source again") from exc


def from_json(text: str) -> Schema:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"schema snapshot is not valid JSON ({exc}); introspect the source again") from exc
    return from_dict(data)


def element_to_dict(element: Any) -> Any:
    """One element of a schema (a ``ForeignKey``, a ``QualifiedName`` ...) as JSON-ready data, every field kept."""
    return _encode(element)


def element_from_dict(cls: type, data: Any) -> Any:
    """The ``cls`` element that ``element_to_dict`` encoded; fields added since take their defaults."""
    return _decode(cls, data)


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    namespace = {name: getattr(elements, name) for name in dir(elements)}
    return typing.get_type_hints(cls, globalns=namespace)


def _decode(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(options[0], value)
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, list):
            raise TypeError(f"expected a list for {hint}, got {type(value).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item) for item in value)
        return tuple(_decode(arg, item) for arg, item in zip(args, value, strict=True))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for {hint.__name__}, got {type(value).__name__}")
        hints = _hints(hint)
        known = {f.name for f in dataclasses.fields(hint)}
        unknown = set(value) - known
        if unknown:
            raise ValueError(f"{hint.__name__} has no field(s) {sorted(unknown)}")
        return hint(**{name: _decode(hints[name], item) for name, item in value.items()})
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if hint is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise TypeError(f"expected an integer, got {value!r}")
    if hint is str and not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    if hint is bool and not isinstance(value, bool):
        raise TypeError(f"expected true/false, got {value!r}")
    return value
