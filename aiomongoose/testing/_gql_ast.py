"""The syntax tree of a GraphQL document, as :mod:`._gql_syntax` reads it."""

from __future__ import annotations

import attrs

__all__ = [
    "Directive",
    "Document",
    "Field",
    "GType",
    "ListOf",
    "Literal",
    "Named",
    "NonNull",
    "Operation",
    "Value",
    "Var",
    "VarDef",
]


@attrs.frozen
class Var:
    """``$name`` in a value position."""

    name: str


@attrs.frozen
class Literal:
    """A constant: ``kind`` is int, float, string, boolean, null, enum, list or object.

    ``value`` is an int, float, str, bool, None, the enum name, a tuple of values (list) or
    a tuple of ``(name, value)`` pairs (object).
    """

    kind: str
    value: object


Value = Var | Literal


@attrs.frozen
class Named:
    """A named type, e.g. ``JID``."""

    name: str


@attrs.frozen
class ListOf:
    """``[T]``."""

    of: GType


@attrs.frozen
class NonNull:
    """``T!``."""

    of: GType


GType = Named | ListOf | NonNull


@attrs.frozen
class Directive:
    """``@name(args)``."""

    name: str
    args: tuple[tuple[str, Value], ...]


@attrs.frozen
class Field:
    """``alias: name(args) @directives { selections }`` (``selections`` None: a leaf)."""

    alias: str | None
    name: str
    args: tuple[tuple[str, Value], ...]
    directives: tuple[Directive, ...]
    selections: tuple[Field, ...] | None

    @property
    def key(self) -> str:
        """The response key: the alias, or the name."""
        return self.alias or self.name


@attrs.frozen
class VarDef:
    """``$name: Type = default``."""

    name: str
    type: GType
    default: Value | None


@attrs.frozen
class Operation:
    """One operation: ``kind`` is query, mutation or subscription; ``name`` None if anonymous."""

    kind: str
    name: str | None
    vardefs: tuple[VarDef, ...]
    directives: tuple[Directive, ...]
    selections: tuple[Field, ...]


@attrs.frozen
class Document:
    """The operations of a document, in order."""

    operations: tuple[Operation, ...]
