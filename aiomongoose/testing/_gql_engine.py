"""One GraphQL request on graphql-core, answered as ``mongoose_graphql`` answers it.

In order: parse (400 ``scanner_error``/``parser_error``, path ``[]``; the fake's own
nesting limit, :func:`_too_deep`); validate with graphql-core's rules in graphql-erlang's
order, less the two unused-definition rules and plus its refusal of a literal ``null``
(the first failure: one 400 with graphql-erlang's code and path); coerce the variables in
name order, nulls dropped; then 401 ``no_permissions``, 400 ``unsupported_operation`` (a
subscription on ``/api/graphql``, anything else on ``/api/graphql/sse``), 200
``more_than_one_operation``; execute: 200, resolver errors in ``errors`` with their path.
:func:`prepare` runs the checks, :func:`execute` executes (once per event on SSE),
:func:`run` does both. Validated documents are cached by text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Mapping
from functools import cache, lru_cache
from typing import Any, TypeGuard

import attrs
import graphql as gql

from ._gql_schema import (
    CoercionFailed,
    ResolverError,
    build_schema,
    coerce_variable,
    literal_value,
)
from ._graphql import error_entry
from ._json import dumps
from ._state import AppState

__all__ = ["NESTING_LIMIT", "Prepared", "erl_repr", "execute", "prepare", "run"]

#: The deepest nesting of a document that the fake processes (see :func:`_too_deep`).
NESTING_LIMIT = 128

Answer = tuple[int, dict[str, Any]]
_MISSING = "The parameter is non-null, but was undefined in parameter list"
_TYPES = re.compile(r"of type '(.+)' used in position expecting type '(.+)'\.")


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str, path: list[Any]) -> None:
        super().__init__(message)
        self.answer: Answer = (status, {"errors": [error_entry(code, message, path)]})


class NullInputRule(gql.ValidationRule):
    """graphql-erlang refuses a literal ``null`` argument, nullable or not."""

    def enter_argument(self, node: gql.ArgumentNode, *_args: object) -> None:
        if isinstance(node.value, gql.NullValueNode):
            name = node.name.value
            message = f"The arg {name} is given a null, which is not allowed in the input path"
            self.report_error(gql.GraphQLError(message, node))


# graphql-core's rules in graphql-erlang's order of checks, with graphql-erlang's codes.
_CODES = {
    "KnownTypeNamesRule": "not_found",
    "VariablesAreInputTypesRule": "not_input_type",
    "UniqueVariableNamesRule": "param_not_unique",
    "KnownDirectivesRule": "unknown_directive",
    "UniqueDirectivesPerLocationRule": "directives_not_unique",
    "FieldsOnCorrectTypeRule": "unknown_field",
    "ScalarLeafsRule": "selection_on_scalar",
    "UniqueArgumentNamesRule": "not_unique",
    "ProvidedRequiredArgumentsRule": "missing_non_null_param",
    "NullInputRule": "null_input",
    "KnownArgumentNamesRule": "excess_args",
    "NoUndefinedVariablesRule": "unbound_variable",
    "VariablesInAllowedPositionRule": "type_mismatch",
    "ValuesOfCorrectTypeRule": "input_coercion",
    "UniqueOperationNamesRule": "not_unique",
    "UniqueFragmentNamesRule": "not_unique",
    "KnownFragmentNamesRule": "unknown_fragment",
    "NoFragmentCyclesRule": "cycles_in_fragments",
    "PossibleFragmentSpreadsRule": "fragment_spread",
    "FragmentsOnCompositeTypesRule": "fragment_spread",
}
_RULES = sorted(
    [r for r in gql.specified_rules if r.__name__[:8] != "NoUnused"] + [NullInputRule],
    key=lambda rule: list(_CODES).index(rule.__name__) if rule.__name__ in _CODES else 99,
)


_NAMED = (gql.FieldNode, gql.ArgumentNode, gql.FragmentDefinitionNode, gql.VariableNode)


def _path_to(node: gql.Node, target: gql.Node) -> list[Any] | None:
    """graphql-erlang's path down to ``target``: the operation (``ROOT`` when anonymous) and
    the fragment, field, argument and variable names on the way; ``None``: not below."""
    if isinstance(node, gql.OperationDefinitionNode):
        here = ["ROOT" if node.name is None else node.name.value]
    else:
        here = [node.name.value] if isinstance(node, _NAMED) else []
    if node is target:
        return here
    for key in node.keys:
        child = getattr(node, key)
        for item in child if isinstance(child, tuple) else (child,):
            below = _path_to(item, target) if isinstance(item, gql.Node) else None
            if below is not None:
                return here + below
    return None


def _validation_error(
    schema: gql.GraphQLSchema, document: gql.DocumentNode, rule: str, error: gql.GraphQLError
) -> _Refused:
    """graphql-erlang's code and path; graphql-core's message but for a type mismatch (which
    the server words as below) and coercion failures (:func:`_coercion_error`)."""
    nodes = error.nodes or []
    node = nodes[-1] if rule == "VariablesInAllowedPositionRule" else nodes[0]
    path = _path_to(document, node) or []
    code, message = _CODES.get(rule, "uncategorized"), error.message
    if rule in ("KnownArgumentNamesRule", "NoUndefinedVariablesRule"):
        path = path[:-1]  # graphql-erlang's path ends at the field
    elif rule in ("UniqueOperationNamesRule", "UniqueFragmentNamesRule"):
        path = []
    elif rule == "ScalarLeafsRule" and isinstance(node, gql.FieldNode):
        code = "fieldless_object"  # an object without a selection set
    elif rule == "KnownDirectivesRule" and isinstance(node, gql.DirectiveNode):
        known = schema.get_directive(node.name.value) is not None
        code = "invalid_directive_location" if known else code
    elif rule == "VariablesInAllowedPositionRule":
        ours, theirs = found.groups() if (found := _TYPES.search(error.message)) else ("?", "?")
        message = (  # graphql-erlang writes a list type {list, T}, not [T]
            f"Type mismatch. The query document has a value/variable of type ({ours}) "
            f"but the schema expects type ({theirs})"
        )
    elif rule == "ValuesOfCorrectTypeRule":
        literal = literal_value(node) if isinstance(node, gql.ValueNode) else None
        return _coercion_error(path, error.original_error or error, literal)
    return _Refused(400, code, message, path)


def _coercion_error(path: list[Any], failure: Exception, value: object) -> _Refused:
    if isinstance(failure, CoercionFailed) and failure.reason is not None:
        message = (
            f"Input coercion failed for type {failure.type_name} with value {erl_repr(value)}. "
            f"The reason it failed is: {failure.reason}"
        )
        return _Refused(400, "input_coercion", message, path)
    if isinstance(failure, CoercionFailed):
        message = "Input coercer failed due to an internal server error"
        return _Refused(400, "input_coerce_abort", message, path)
    message = getattr(failure, "message", str(failure))  # a built-in scalar's literal
    return _Refused(400, "type_mismatch", message, path)


def _too_deep(line: int) -> _Refused:
    """The fake's own limit. MongooseIM has none (its yecc parser keeps states on a list and
    Erlang stacks grow), but graphql-core recurses on Python's stack, so a document nested
    deeper than :data:`NESTING_LIMIT` gets this 400 whatever graphql-core the fake runs on."""
    message = (
        f"Cannot parse line {line} because of nesting deeper than {NESTING_LIMIT} levels, "
        "a limit of the fake server that MongooseIM does not have"
    )
    return _Refused(400, "parser_error", message, [])


def _check_lexical_nesting(text: str) -> None:
    """Refuse braces and brackets nested too deeply; a document that does not scan is left
    to :func:`_parse`, which reports it."""
    lexer, depth, kinds = gql.Lexer(gql.Source(text)), 0, gql.TokenKind
    try:
        while (token := lexer.advance()).kind != kinds.EOF:
            depth += token.kind in (kinds.BRACE_L, kinds.BRACKET_L)
            depth -= token.kind in (kinds.BRACE_R, kinds.BRACKET_R)
            if depth > NESTING_LIMIT:
                raise _too_deep(token.line)
    except gql.GraphQLSyntaxError:
        return


def _check_fragment_nesting(document: gql.DocumentNode) -> None:
    """Refuse selections nested too deeply through a chain of fragment spreads (a chain too
    long for Python's stack raises RecursionError, also answered as too deep). Cycles are
    left to validation."""
    fragments = {
        d.name.value: d.selection_set
        for d in document.definitions
        if isinstance(d, gql.FragmentDefinitionNode)
    }
    depths: dict[str, int] = {}

    def depth(selections: gql.SelectionSetNode, path: frozenset[str]) -> int:
        deepest = 0
        for node in selections.selections:
            if isinstance(node, gql.FragmentSpreadNode):
                name = node.name.value
                if name in fragments and name not in path and name not in depths:
                    depths[name] = depth(fragments[name], path | {name})
                deepest = max(deepest, depths.get(name, 0))
            elif isinstance(node, (gql.FieldNode, gql.InlineFragmentNode)) and node.selection_set:
                deepest = max(deepest, depth(node.selection_set, path))
        return deepest + 1

    for definition in document.definitions:
        if isinstance(definition, gql.ExecutableDefinitionNode):
            if depth(definition.selection_set, frozenset()) > NESTING_LIMIT:
                raise _too_deep(definition.loc.start_token.line if definition.loc else 1)


def _parse(text: str) -> gql.DocumentNode:
    try:
        return gql.parse(text)
    except gql.GraphQLSyntaxError as exc:
        error, code, verb = exc, "parser_error", "parse"
        try:
            lexer = gql.Lexer(gql.Source(text))
            while lexer.advance().kind != gql.TokenKind.EOF:
                pass
        except gql.GraphQLSyntaxError as scan_error:
            error, code, verb = scan_error, "scanner_error", "scan"
        line = error.locations[0].line if error.locations else 1
        message = f"Cannot {verb} line {line} because of {error.description}"
        raise _Refused(400, code, message, []) from None


_schema = cache(build_schema)


@lru_cache(maxsize=512)
def _checked(
    text: str, paged_list_users: bool, muc_light_list_rooms: bool
) -> tuple[gql.GraphQLSchema, gql.DocumentNode]:
    """The schema and the parsed, validated document (errors are not cached)."""
    _check_lexical_nesting(text)
    schema = _schema(paged_list_users, muc_light_list_rooms)
    try:
        document = _parse(text)
        _check_fragment_nesting(document)
        if gql.validate(schema, document, _RULES):
            for rule in _RULES:
                errors = gql.validate(schema, document, [rule])
                if errors and not errors[0].nodes:  # graphql-core gave up: too deep for it
                    raise _too_deep(1)
                if errors:
                    raise _validation_error(schema, document, rule.__name__, errors[0])
    except RecursionError:  # below the limit, yet too deep for this graphql-core
        raise _too_deep(1) from None
    return schema, document


def _coerce(path: list[Any], value: object, gtype: Any) -> object:
    if gql.is_non_null_type(gtype):
        if value is None:
            message = f"Type mismatch, expected ({gtype})"
            raise _Refused(400, "type_mismatch", message, path)
        return _coerce(path, value, gtype.of_type)
    if value is None:
        return None
    if gql.is_list_type(gtype):
        items = value if isinstance(value, list) else [value]
        return [_coerce(path, item, gtype.of_type) for item in items]
    try:
        return coerce_variable(gtype.name, value)
    except CoercionFailed as exc:
        raise _coercion_error(path, exc, value) from None


def _variables(
    schema: gql.GraphQLSchema, op: gql.OperationDefinitionNode, head: str, given: Mapping[str, Any]
) -> dict[str, Any]:
    values = {name: value for name, value in given.items() if value is not None}
    by_name = {d.variable.name.value: d for d in op.variable_definitions or ()}
    for name, definition in sorted(by_name.items()):
        gtype = gql.type_from_ast(schema, definition.type)
        if name in values:
            values[name] = _coerce([head, name], values[name], gtype)
        elif definition.default_value is None and gql.is_non_null_type(gtype):
            raise _Refused(400, "missing_non_null_param", _MISSING, [head, name])
        elif definition.default_value is None and str(gtype) == "Boolean":
            # Only @include/@skip take a Boolean here: graphql-erlang's `if` defaults to
            # false, while graphql-core's executor needs a value.
            values[name] = False
    return values


def _operations(document: gql.DocumentNode, name: object) -> list[gql.OperationDefinitionNode]:
    """The operation ``name`` asks for, or every operation when there is no name."""
    operations = [d for d in document.definitions if isinstance(d, gql.OperationDefinitionNode)]
    if name is None or name == "":
        return operations
    chosen = [op for op in operations if op.name is not None and op.name.value == name]
    if not chosen:
        message = f"Expected an operation {erl_repr(name)} but no such operation was found"
        raise _Refused(400, "operation_not_found", message, [])
    return chosen[:1]


@attrs.frozen
class Prepared:
    """A document ready to execute: parsed, validated, variables coerced, checks passed."""

    schema: gql.GraphQLSchema
    document: gql.DocumentNode
    values: dict[str, Any]
    operation_name: str | None
    head: str


def prepare(
    state: AppState,
    text: str,
    operation_name: object,
    variables: Mapping[str, Any],
    authorized: bool,
    method: str = "http",
) -> Prepared | Answer:
    """The steps before execution; an :data:`Answer` when one of them refuses the request.

    ``method`` is the execution method: ``"http"`` (``/api/graphql``) refuses subscriptions,
    ``"sse"`` (``/api/graphql/sse``) every other operation
    (``mongoose_graphql_operations:verify_operations``, first refused operation first).
    """
    head = operation_name if isinstance(operation_name, str) else ".."
    try:
        profile = state.profile
        schema, document = _checked(text, profile.paged_list_users, profile.muc_light_list_rooms)
        operations = _operations(document, operation_name)
        one = len(operations) == 1
        values = _variables(schema, operations[0], head, variables) if one else {}
        if not authorized:
            shown = "ROOT" if operation_name is None else str(operation_name)
            message = f"Cannot execute query {shown} without permissions"
            raise _Refused(401, "no_permissions", message, [shown])
        for op in operations:
            if (op.operation is gql.OperationType.SUBSCRIPTION) != (method == "sse"):
                kind = op.operation.value
                message = f"The {method} execution method does not support {kind} operations."
                raise _Refused(400, "unsupported_operation", message, [])
        if not one:
            message = "Error in execution: more_than_one_operation"
            raise _Refused(200, "more_than_one_operation", message, [])
    except _Refused as refused:
        return refused.answer
    name = operations[0].name
    return Prepared(schema, document, values, None if name is None else name.value, head)


def execute(prepared: Prepared, context: object) -> Answer:
    """Execute a prepared document with ``context`` as the context and the root value."""
    try:
        result = gql.execute(
            prepared.schema,
            prepared.document,
            root_value=context,
            context_value=context,
            variable_values=prepared.values,
            operation_name=prepared.operation_name,
            is_awaitable=_never,  # every resolver is synchronous: skip graphql-core's checks
        )
        assert not isinstance(result, Awaitable)
        if result.data is None and result.errors:  # graphql-core refused a built-in's value
            entry = error_entry("input_coercion", result.errors[0].message, [prepared.head])
            return 400, {"errors": [entry]}
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [_field_error(error) for error in result.errors]
    except RecursionError:  # a safety net: the nesting limit keeps execution shallow enough
        return _too_deep(1).answer
    return 200, body


def run(
    state: AppState,
    text: str,
    operation_name: object,
    variables: Mapping[str, Any],
    authorized: bool,
) -> Answer:
    """The HTTP status and JSON body for one request that carries a query ``text``."""
    prepared = prepare(state, text, operation_name, variables, authorized)
    return prepared if isinstance(prepared, tuple) else execute(prepared, state)


def _never(_value: object) -> TypeGuard[Awaitable[Any]]:
    return False


def _field_error(error: gql.GraphQLError) -> dict[str, object]:
    failure = error.original_error
    if not isinstance(failure, ResolverError):
        raise failure or error  # a bug in the fake: let it surface
    return {**failure.entry, "path": error.path}


def erl_repr(value: object) -> str:
    """A string as Erlang's ``~p`` shows a binary (``<<"x">>``); other values as JSON (at
    any depth, integers in full, as ``~p`` prints them)."""
    if isinstance(value, str):
        return f"<<{json.dumps(value, ensure_ascii=False)}>>" if value else "<<>>"
    return dumps(value)
