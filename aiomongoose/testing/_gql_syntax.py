"""A small GraphQL reader for the documents a client sends: operations, no fragments.

It reads executable documents (GraphQL spec, section 2): operations with variable
definitions and defaults, aliases, arguments, directives and nested selection sets, every
kind of value, comments, commas, strings and block strings. It is written for
:mod:`._graphql` and raises :class:`GraphQLSyntaxError` the way MongooseIM's parser
(graphql-erlang's leex scanner and yecc grammar) reports errors: ``scanner_error`` for a
character that starts no token, ``parser_error`` with "syntax error before: TOKEN" for a
token out of place. The token is printed the way yecc prints it (``'{'``, ``<<"name">>``);
the wording is close to, not guaranteed equal to, the real server's.

Fragments (``fragment ... on``, ``...Spread``, ``... on Type``) are valid GraphQL that the
fake does not implement: they raise a ``parser_error`` that says so.
"""

from __future__ import annotations

import re

from ._gql_ast import (
    Directive,
    Document,
    Field,
    GType,
    ListOf,
    Literal,
    Named,
    NonNull,
    Operation,
    Value,
    Var,
    VarDef,
)

__all__ = ["GraphQLSyntaxError", "parse_document"]


class GraphQLSyntaxError(Exception):
    """A document that cannot be read: ``code`` is ``scanner_error`` or ``parser_error``."""

    def __init__(self, code: str, line: int, reason: str) -> None:
        verb = "scan" if code == "scanner_error" else "parse"
        super().__init__(f"Cannot {verb} line {line} because of {reason}")
        self.code = code


_TOKEN = re.compile(
    r"""(?P<skip>[\ufeff \t,]+|\#[^\n\r]*)
      | (?P<newline>\r\n|\n|\r)
      | (?P<spread>\.\.\.)
      | (?P<punct>[!$&()\:=@\[\]{|}])
      | (?P<float>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+))
      | (?P<int>-?(?:0|[1-9][0-9]*))
      | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
      | (?P<block>\"\"\"(?:\\\"\"\"|(?!\"\"\")[\s\S])*\"\"\")
      | (?P<string>"(?:[^"\\\n\r]|\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4}))*")
    """,
    re.VERBOSE,
)
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "/": "/"}
_OPERATIONS = ("query", "mutation", "subscription")


def _unescape(text: str) -> str:
    return re.sub(
        r"\\(u[0-9A-Fa-f]{4}|.)",
        lambda m: chr(int(m.group(1)[1:], 16)) if len(m.group(1)) == 5 else _ESCAPES[m.group(1)],
        text,
    )


def _block_value(raw: str) -> str:
    lines = re.split(r"\r\n|\n|\r", raw.replace('\\"""', '"""'))
    indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines[1:] if ln.strip(" \t")]
    common = min(indents, default=0)
    lines = lines[:1] + [ln[common:] for ln in lines[1:]]
    while lines and not lines[0].strip(" \t"):
        lines.pop(0)
    while lines and not lines[-1].strip(" \t"):
        lines.pop()
    return "\n".join(lines)


def _tokens(text: str) -> list[tuple[str, object, int, str]]:
    """``(kind, value, line, yecc text)``; the last one is ``eof``."""
    tokens: list[tuple[str, object, int, str]] = []
    line, at = 1, 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or (match.lastgroup in ("int", "float") and _runs_on(text, match)):
            bad = text[at]
            raise GraphQLSyntaxError("scanner_error", line, f'illegal characters "{bad}"')
        kind, raw = match.lastgroup or "", match.group()
        at = match.end()
        if kind == "newline":
            line += 1
        elif kind == "punct" or kind == "spread":
            tokens.append(("punct", raw, line, f"'{raw}'"))
        elif kind in ("int", "float", "name"):
            value: object = int(raw) if kind == "int" else float(raw) if kind == "float" else raw
            tokens.append((kind, value, line, raw if kind != "name" else f'<<"{raw}">>'))
        elif kind == "string":
            tokens.append(("string", _unescape(raw[1:-1]), line, f"<<{raw}>>"))
        elif kind == "block":
            tokens.append(("string", _block_value(raw[3:-3]), line, f'<<"{raw[3:-3]}">>'))
            line += len(re.findall(r"\r\n|\n|\r", raw))
    tokens.append(("eof", None, line, ""))
    return tokens


def _runs_on(text: str, match: re.Match[str]) -> bool:
    # "12abc" or "1.5.2": a number may not run into a name start or a dot.
    end = match.end()
    return end < len(text) and (text[end] == "." or text[end] == "_" or text[end].isalpha())


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, object, int, str]:
        return self.tokens[self.at]

    def fail(self) -> GraphQLSyntaxError:
        _, _, line, shown = self.peek()
        return GraphQLSyntaxError("parser_error", line, f"syntax error before: {shown}")

    def is_punct(self, value: str) -> bool:
        kind, raw, _, _ = self.peek()
        return kind == "punct" and raw == value

    def expect(self, value: str) -> None:
        if not self.is_punct(value):
            raise self.fail()
        self.at += 1

    def name(self) -> str:
        kind, raw, _, _ = self.peek()
        if kind != "name" or not isinstance(raw, str):
            raise self.fail()
        self.at += 1
        return raw

    def document(self) -> Document:
        operations = [self.operation()]
        while self.peek()[0] != "eof":
            operations.append(self.operation())
        return Document(tuple(operations))

    def operation(self) -> Operation:
        if self.is_punct("{"):
            return Operation("query", None, (), (), self.selections())
        kind, raw, line, _ = self.peek()
        if kind == "name" and raw == "fragment":
            raise GraphQLSyntaxError(
                "parser_error", line, "fragments, which FakeMongooseIM does not support"
            )
        if kind != "name" or raw not in _OPERATIONS:
            raise self.fail()
        self.at += 1
        name = self.name() if self.peek()[0] == "name" else None
        vardefs: list[VarDef] = []
        if self.is_punct("("):
            self.at += 1
            vardefs.append(self.vardef())
            while not self.is_punct(")"):
                vardefs.append(self.vardef())
            self.at += 1
        return Operation(str(raw), name, tuple(vardefs), self.directives(), self.selections())

    def vardef(self) -> VarDef:
        self.expect("$")
        name = self.name()
        self.expect(":")
        gtype = self.gtype()
        default = None
        if self.is_punct("="):
            self.at += 1
            default = self.value(const=True)
        self.directives()  # directives on variable definitions are read and ignored
        return VarDef(name, gtype, default)

    def gtype(self) -> GType:
        inner: GType
        if self.is_punct("["):
            self.at += 1
            inner = ListOf(self.gtype())
            self.expect("]")
        else:
            inner = Named(self.name())
        if self.is_punct("!"):
            self.at += 1
            return NonNull(inner)
        return inner

    def directives(self) -> tuple[Directive, ...]:
        found = []
        while self.is_punct("@"):
            self.at += 1
            found.append(Directive(self.name(), self.arguments()))
        return tuple(found)

    def arguments(self) -> tuple[tuple[str, Value], ...]:
        if not self.is_punct("("):
            return ()
        self.at += 1
        args = []
        while True:
            name = self.name()
            self.expect(":")
            args.append((name, self.value(const=False)))
            if self.is_punct(")"):
                self.at += 1
                return tuple(args)

    def selections(self) -> tuple[Field, ...]:
        self.expect("{")
        fields = [self.field()]
        while not self.is_punct("}"):
            fields.append(self.field())
        self.at += 1
        return tuple(fields)

    def field(self) -> Field:
        if self.is_punct("..."):
            raise GraphQLSyntaxError(
                "parser_error", self.peek()[2], "fragments, which FakeMongooseIM does not support"
            )
        alias, name = None, self.name()
        if self.is_punct(":"):
            self.at += 1
            alias, name = name, self.name()
        args, directives = self.arguments(), self.directives()
        selections = self.selections() if self.is_punct("{") else None
        return Field(alias, name, args, directives, selections)

    def value(self, *, const: bool) -> Value:
        kind, raw, _, _ = self.peek()
        if kind == "punct" and raw == "$" and not const:
            self.at += 1
            return Var(self.name())
        if kind == "punct" and raw in ("[", "{"):
            self.at += 1
            close = "]" if raw == "[" else "}"
            items: list[object] = []
            while not self.is_punct(close):
                if raw == "[":
                    items.append(self.value(const=const))
                else:
                    key = self.name()
                    self.expect(":")
                    items.append((key, self.value(const=const)))
            self.at += 1
            return Literal("list" if raw == "[" else "object", tuple(items))
        if kind in ("int", "float", "string"):
            self.at += 1
            return Literal(kind, raw)
        if kind == "name":
            self.at += 1
            if raw in ("true", "false"):
                return Literal("boolean", raw == "true")
            return Literal("null", None) if raw == "null" else Literal("enum", raw)
        raise self.fail()


def parse_document(text: str) -> Document:
    """Read ``text``; raises :class:`GraphQLSyntaxError`."""
    return _Parser(text).document()
