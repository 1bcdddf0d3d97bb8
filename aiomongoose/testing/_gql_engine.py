"""One GraphQL request on graphql-core, with MongooseIM's answers (``mongoose_graphql``).

The steps of ``prepare_request``, each with graphql-erlang's codes and paths:

- Parse: 400 ``scanner_error`` / ``parser_error``, "Cannot scan|parse line N because of"
  and graphql-core's reason; ``path`` ``[]``. A document nested more than
  :data:`NESTING_LIMIT` levels deep (selection sets and list or object values, counted
  through fragment spreads too) gets 400 ``parser_error`` saying so: a limit of the fake
  only, see :func:`_too_deep`.
- Validation: graphql-core's rules but two (graphql-erlang accepts unused variables and
  fragments), plus graphql-erlang's refusal of a literal ``null`` argument. The first
  failing rule in :data:`_CODES` order gives one 400 error (see :func:`_path_to`).
- Variables: nulls dropped (``remove_null_args``), then coerced in name order, path
  ``[operationName or "..", name]``; ``operation_not_found`` for an unknown name.
- 401 ``no_permissions`` when unauthorized; 400 ``unsupported_operation`` for a subscription
  on ``/api/graphql``, for a query or mutation on ``/api/graphql/sse`` (all operations are
  checked without ``operationName``); 200 ``more_than_one_operation`` without ``data``;
  then execution: 200, a resolver's error in ``errors`` with its path.

:func:`prepare` runs the steps before execution, :func:`execute` executes (the SSE endpoint
executes one prepared subscription once per event), :func:`run` does both.

Parsed, validated documents are cached by text: clients send a few documents many times.
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
    """The fake's answer to a document nested more than :data:`NESTING_LIMIT` levels deep.

    MongooseIM has no such limit: graphql-erlang scans with leex and parses with a yecc
    parser, which keeps its states on a list rather than on the call stack, and its later
    passes recurse on Erlang process stacks, which grow as needed. It answers a deep
    document as it answers a shallow one (a deep selection of unknown fields: 400
    ``unknown_field``; a deep list value for a scalar: 400 ``input_coerce_abort``; deep
    inline fragments over valid fields: 200). graphql-core recurses on Python's stack
    (3.2 until ``RecursionError``; 3.3 stops at 200 levels), so the fake refuses such a
    document up front, with the same 400 whatever graphql-core it runs on.
    """
    message = (
        f"Cannot parse line {line} because of nesting deeper than {NESTING_LIMIT} levels, "
        "a limit of the fake server that MongooseIM does not have"
    )
    return _Refused(400, "parser_error", message, [])


_OPENING = (gql.TokenKind.BRACE_L, gql.TokenKind.BRACKET_L)
_CLOSING = (gql.TokenKind.BRACE_R, gql.TokenKind.BRACKET_R)


def _check_lexical_nesting(text: str) -> None:
    """Refuse a document whose braces and brackets nest too deeply; a document that does not
    scan is left to :func:`_parse`, which reports it."""
    lexer, depth = gql.Lexer(gql.Source(text)), 0
    try:
        while (token := lexer.advance()).kind != gql.TokenKind.EOF:
            if token.kind in _OPENING:
                depth += 1
                if depth > NESTING_LIMIT:
                    raise _too_deep(token.line)
            elif token.kind in _CLOSING:
                depth -= 1
    except gql.GraphQLSyntaxError:
        return


def _selection_nesting(
    selection_set: gql.SelectionSetNode,
) -> tuple[int, list[tuple[str, int]]]:
    """How deep a definition's selection sets nest, and its fragment spreads with their depth."""
    deepest, spreads = 0, []
    todo = [(selection_set, 1)]
    while todo:
        current, depth = todo.pop()
        deepest = max(deepest, depth)
        for selection in current.selections:
            if isinstance(selection, gql.FragmentSpreadNode):
                spreads.append((selection.name.value, depth))
            elif isinstance(selection, (gql.FieldNode, gql.InlineFragmentNode)):
                if selection.selection_set is not None:
                    todo.append((selection.selection_set, depth + 1))
    return deepest, spreads


def _check_fragment_nesting(document: gql.DocumentNode) -> None:
    """Refuse a document whose selections nest too deeply through fragment spreads (a chain of
    fragments, each spreading the next). Cycles are left to validation."""
    nesting = {
        d.name.value: _selection_nesting(d.selection_set)
        for d in document.definitions
        if isinstance(d, gql.FragmentDefinitionNode)
    }
    depths: dict[str, int] = {}  # a fragment's depth, its spreads included

    def depth_of(own: int, spreads: list[tuple[str, int]]) -> int:
        return max([own, *(at + depths.get(name, 0) for name, at in spreads)])

    entered: set[str] = set()
    for root in nesting:  # post-order without recursion: a fragment after those it spreads
        todo = [(root, False)]
        while todo:
            name, done_below = todo.pop()
            if name in depths or (name in entered and not done_below):
                continue  # finished, or a cycle back to a fragment still being walked
            if done_below:
                depths[name] = depth_of(*nesting[name])
                continue
            entered.add(name)
            todo.append((name, True))
            todo.extend((spread, False) for spread, _at in nesting[name][1] if spread in nesting)
    for definition in document.definitions:
        if isinstance(definition, gql.ExecutableDefinitionNode):
            if depth_of(*_selection_nesting(definition.selection_set)) > NESTING_LIMIT:
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
