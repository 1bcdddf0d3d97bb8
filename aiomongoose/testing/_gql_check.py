"""The type check of GraphQL documents against :mod:`._gql_schema`, and variable coercion.

The checks follow graphql-erlang (``graphql_check.erl``, ``graphql_err.erl``), which
MongooseIM runs before executing anything, and raise :class:`RequestError` with the same
codes, messages and paths: the type check (operations in order; within a selection set the
*last* field first; within a field its directives, the field itself, its selections, then its
arguments by name; literal arguments are coerced here), the validation (operation names
unique), then :func:`coerce_variables` (null variables dropped first, as
``mongoose_graphql:remove_null_args`` does; variables by name; path ``[operationName or
"..", variable]``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._gql_ast import (
    Directive,
    Document,
    Field,
    GType,
    ListOf,
    Literal,
    NonNull,
    Operation,
    Value,
    Var,
    VarDef,
)
from ._gql_scalars import SCALARS, CoercerCrashed, CoercionFailed, EnumName, coerce_scalar, erl_repr
from ._gql_schema import DIRECTIVES, OBJECTS, ROOTS, ArgDef, accepts, base_name, format_type

__all__ = [
    "RequestError",
    "check_document",
    "coerce_literal",
    "coerce_variables",
    "error_entry",
]


class RequestError(Exception):
    """A request that fails before execution: HTTP ``status`` and one ``errors`` entry."""

    def __init__(self, status: int, entry: dict[str, object]) -> None:
        super().__init__(entry.get("message"))
        self.status = status
        self.entry = entry


def error_entry(
    code: str, message: str, path: Sequence[object] | None, **extra: object
) -> dict[str, object]:
    """One ``errors`` entry: ``message``, ``extensions`` (``code`` and ``extra``), ``path``."""
    entry: dict[str, object] = {"message": message, "extensions": {"code": code, **extra}}
    if path is not None:
        entry["path"] = list(path)
    return entry


def _fail(path: Sequence[str], code: str, message: str) -> RequestError:
    return RequestError(400, error_entry(code, message, path))


def _coercion_error(
    path: Sequence[str], type_name: str, value: object, exc: Exception
) -> RequestError:
    if isinstance(exc, CoercionFailed):
        return _fail(
            path,
            "input_coercion",
            f"Input coercion failed for type {type_name} with value {erl_repr(value)}. "
            f"The reason it failed is: {exc.reason}",
        )
    return _fail(path, "input_coerce_abort", "Input coercer failed due to an internal server error")


def _mismatch(path: Sequence[str], document_type: str, sigma: GType) -> RequestError:
    message = (
        f"Type mismatch. The query document has a value/variable of type ({document_type}) "
        f"but the schema expectes type ({format_type(sigma)})"  # sic: graphql_err.erl
    )
    return _fail(path, "type_mismatch", message)


def _items(value: Literal) -> tuple[Value, ...]:
    items = value.value
    assert isinstance(items, tuple)
    return tuple(item for item in items if isinstance(item, (Var, Literal)))


def _pairs(value: Literal) -> tuple[tuple[str, Value], ...]:
    pairs = value.value
    assert isinstance(pairs, tuple)
    return tuple(pair for pair in pairs if isinstance(pair, tuple))


def _python(value: Value) -> object:
    if isinstance(value, Var):
        return None
    if value.kind == "enum":
        return EnumName(str(value.value))
    if value.kind == "list":
        return [_python(v) for v in _items(value)]
    if value.kind == "object":
        return {k: _python(v) for k, v in _pairs(value)}
    return value.value


def _coerce(path: Sequence[str], value: object, gtype: GType) -> object:
    """Coerce a (JSON or literal) value to ``gtype``; ``None`` passes a nullable type."""
    if isinstance(gtype, NonNull):
        if value is None:
            raise _fail(path, "type_mismatch", f"Type mismatch, expected ({format_type(gtype)})")
        return _coerce(path, value, gtype.of)
    if value is None:
        return None
    if isinstance(gtype, ListOf):
        items = value if isinstance(value, list) else [value]
        return [_coerce(path, item, gtype.of) for item in items]
    try:
        return coerce_scalar(gtype.name, value)
    except (CoercionFailed, CoercerCrashed) as exc:
        raise _coercion_error(path, gtype.name, value, exc) from None


def coerce_literal(value: Literal, gtype: GType) -> object:
    """The coerced value of a literal that :func:`check_document` accepted."""
    return _coerce([], _python(value), gtype)


class _Checker:
    def __init__(self, vars_: Mapping[str, VarDef]) -> None:
        self.vars = vars_

    def selections(self, path: list[str], fields: Sequence[Field], parent: str) -> None:
        for field in reversed(fields):
            self.field(path, field, parent)

    def field(self, path: list[str], field: Field, parent: str) -> None:
        here = [*path, field.name]
        self.directives(here, field.directives, "FIELD")
        definition = OBJECTS[parent].get(field.name)
        if definition is None:
            if field.name == "__typename":
                return
            raise _fail(here, "unknown_field", "The query refers to a field which is not known")
        child = base_name(definition.type)
        if child in OBJECTS:
            if field.selections is None:
                raise _fail(
                    here,
                    "fieldless_object",
                    "The path refers to an Object type, but no fields were specified",
                )
            self.selections(here, field.selections, child)
        elif field.selections is not None:
            raise _fail(
                here, "selection_on_scalar", "Cannot apply a selection set to a scalar field"
            )
        self.arguments(here, field.args, definition.args)

    def directives(self, path: list[str], directives: Sequence[Directive], location: str) -> None:
        for directive in directives:
            name = directive.name
            if name not in DIRECTIVES:
                message = (
                    f"The query uses a directive, {name}, which is unknown to this GraphQL server"
                )
                raise _fail(path, "unknown_directive", message)
            if location != "FIELD":
                message = f"The directive {name} is not valid in the context {location}"
                raise _fail(path, "invalid_directive_location", message)
            self.arguments([*path, name], directive.args, DIRECTIVES[name])

    def arguments(
        self, path: list[str], args: Sequence[tuple[str, Value]], definitions: Mapping[str, ArgDef]
    ) -> None:
        names = [name for name, _ in args]
        for name in names:
            if names.count(name) > 1:
                raise _fail(path, "not_unique", f"The name {name} occurs more than once")
        given = dict(args)
        for name in sorted(definitions):
            definition = definitions[name]
            if name not in given:
                if isinstance(definition.type, NonNull) and definition.default is None:
                    message = "The parameter is non-null, but was undefined in parameter list"
                    raise _fail(path, "missing_non_null_param", message)
                continue
            value = given.pop(name)
            if isinstance(value, Literal) and value.kind == "null":
                message = f"The arg {name} is given a null, which is not allowed in the input path"
                raise _fail([*path, name], "null_input", message)
            self.value([*path, name], value, definition.type)
        if given:
            excess = [(name, _python(value)) for name, value in given.items()]
            message = f"The argument list contains unknown arguments {erl_repr(excess)}"
            raise _fail(path, "excess_args", message)

    def value(self, path: list[str], value: Value, sigma: GType) -> None:
        if isinstance(value, Var):
            vardef = self.vars.get(value.name)
            if vardef is None:
                message = (
                    f"The document refers to a variable {value.name} but no such var exists. "
                    "Perhaps the variable is a typo?"
                )
                raise _fail(path, "unbound_variable", message)
            if not accepts(vardef.type, sigma):
                raise _mismatch([*path, value.name], format_type(vardef.type), sigma)
            return
        if value.kind == "object":
            raise _mismatch(path, "object", sigma)
        _coerce(path, _python(value), sigma)


def _vardefs(path: list[str], vardefs: Sequence[VarDef]) -> dict[str, VarDef]:
    for vardef in vardefs:
        name = base_name(vardef.type)
        if name not in SCALARS:
            kind = "invalid_input_type" if name in OBJECTS else "not_found"
            raise _fail(path, kind, f"The type {erl_repr(name)} was not found in the schema")
    found: dict[str, VarDef] = {}
    for vardef in vardefs:
        if vardef.name in found:
            message = f"The variable {vardef.name} occurs more than once in the operation header"
            raise _fail([*path, vardef.name], "param_not_unique", message)
        found[vardef.name] = vardef
    return found


def check_document(document: Document) -> None:
    """Type-check and validate every operation; raises :class:`RequestError` (400)."""
    for operation in document.operations:
        path = [operation.name or "ROOT"]
        checker = _Checker(_vardefs(path, operation.vardefs))
        checker.directives(path, operation.directives, operation.kind.upper())
        checker.selections(path, operation.selections, ROOTS[operation.kind])
    names = [op.name for op in document.operations if op.name is not None]
    for name in names:
        if names.count(name) > 1:
            raise _fail([], "not_unique", f"The name {name} is not a unique name")


def coerce_variables(
    document: Document, operation_name: object, variables: Mapping[str, object]
) -> tuple[Operation | None, dict[str, object]]:
    """The operation to run and its coerced variables (``None``: more than one, none named)."""
    operations = document.operations
    if operation_name is None or operation_name == "":
        if len(operations) != 1:
            return None, {}  # execution then fails with more_than_one_operation
        operation = operations[0]
    else:
        named = [op for op in operations if op.name == operation_name]
        if not named:
            message = (
                f"Expected an operation {erl_repr(operation_name)} but no such operation was found"
            )
            raise _fail([], "operation_not_found", message)
        operation = named[0]
    head = operation_name if isinstance(operation_name, str) else ".."
    params = {key: value for key, value in variables.items() if value is not None}
    for vardef in sorted(operation.vardefs, key=lambda v: v.name):
        path = [head, vardef.name]
        if vardef.name in params:
            params[vardef.name] = _coerce(path, params[vardef.name], vardef.type)
        elif vardef.default is not None:
            try:
                params[vardef.name] = _coerce(path, _python(vardef.default), vardef.type)
            except RequestError:
                message = "The default value could not be correctly coerced"
                raise _fail(path, "non_coercible_default", message) from None
        elif isinstance(vardef.type, NonNull):
            message = "The parameter is non-null, but was undefined in parameter list"
            raise _fail(path, "missing_non_null_param", message)
    return operation, params
