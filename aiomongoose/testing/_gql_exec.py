"""Execution of a checked GraphQL operation against the fake's archive.

It follows graphql-erlang's ``graphql_execute.erl`` and MongooseIM's resolvers:

- Fields are grouped by response key (alias or name) and run in key order (an orddict);
  fields sharing a key merge their selections. ``@include``/``@skip`` are applied.
- A resolver error yields ``null`` for that field and an ``errors`` entry whose ``path``
  lists the response keys, with HTTP 200 (``mongoose_graphql_errors:err/2``).
- A category (``stanza``, ``account``) answers ``category_disabled`` ("Category disabled",
  extension ``category``) when it is in ``AppState.disabled_categories``
  (``mongoose_graphql_check_categories``: the listener's ``allowed_categories`` leaves it out).
- ``listUsers`` (``mongoose_graphql_account_admin_query``, ``mongoose_account_api:list_users``):
  ``domain_not_found`` ("Domain does not exist", extension ``domain``: the nameprepped
  domain) for an unregistered domain; otherwise the domain's bare JIDs, sorted.
- ``getLastMessages`` (``mongoose_graphql_stanza_admin_query``,
  ``mongoose_stanza_api:lookup_recent_messages``): ``deps_not_loaded`` ("Some of required
  modules or services are not loaded", ``not_loaded_modules: ["mod_mam_pm"]``) when MAM is
  off and the caller's domain is known (the ``@use`` directive checks only then); then
  ``unknown_user`` "User's domain does not exist" / "User does not exist" (extension
  ``user``: the caller as given); then the newest ``min(limit, max_result_limit)`` messages
  at or before ``before``, oldest first, and that applied ``limit``.
- ``sendMessage`` (``mongoose_graphql_stanza_admin_mutation``,
  ``mongoose_stanza_api:send_chat_message``): ``unknown_user`` as above (extension ``from``);
  otherwise a new stanza id, archived like a REST send (unless MAM is off), returned as ``id``.
  A ``body`` that is not a string (``String`` takes any JSON value) crashes the real
  resolver: ``resolver_crash``, nothing sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._archive import StoredMessage
from ._gql_ast import Field, Literal, Operation, Var
from ._gql_check import coerce_literal, error_entry
from ._gql_scalars import JidValue
from ._gql_schema import DIRECTIVES, OBJECTS, ROOTS, ArgDef, base_name
from ._state import AppState
from ._xmpp import format_rfc3339_us

__all__ = ["Executor"]

_Errors = list[dict[str, object]]


class _ResolverError(Exception):
    def __init__(self, entry: dict[str, object]) -> None:
        super().__init__(entry["message"])
        self.entry = entry


def _unknown_user(message: str, **extra: object) -> _ResolverError:
    return _ResolverError(error_entry("unknown_user", message, None, **extra))


class Executor:
    """Runs operations over one :class:`AppState`."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.params: Mapping[str, object] = {}

    def run(self, operation: Operation | None, params: Mapping[str, object]) -> dict[str, object]:
        """The response body: ``data`` and, if any, ``errors``."""
        if operation is None:
            message = "Error in execution: more_than_one_operation"
            return {"errors": [error_entry("more_than_one_operation", message, [])]}
        self.params = params
        errors: _Errors = []
        data = self._selections(ROOTS[operation.kind], operation.selections, None, [], errors)
        return {"data": data, "errors": errors} if errors else {"data": data}

    def _included(self, field: Field) -> bool:
        for directive in field.directives:
            flag = self._arguments(directive.args, DIRECTIVES[directive.name])["if"]
            if (directive.name == "include") != bool(flag):
                return False
        return True

    def _arguments(
        self, given: Sequence[tuple[str, object]], definitions: Mapping[str, ArgDef]
    ) -> dict[str, object]:
        values = dict(given)
        resolved: dict[str, object] = {}
        for name, definition in definitions.items():
            value = values.get(name)
            if isinstance(value, Var):
                found = self.params.get(value.name)
                resolved[name] = definition.default if found is None else found
            elif isinstance(value, Literal):
                resolved[name] = coerce_literal(value, definition.type)
            else:
                resolved[name] = definition.default
        return resolved

    def _selections(
        self,
        type_name: str,
        fields: Sequence[Field],
        source: object,
        path: list[str],
        errors: _Errors,
    ) -> dict[str, object]:
        groups: dict[str, list[Field]] = {}
        for field in fields:
            if self._included(field):
                groups.setdefault(field.key, []).append(field)
        result: dict[str, object] = {}
        for key in sorted(groups):
            first = groups[key][0]
            if first.name == "__typename":
                result[key] = type_name
                continue
            merged = [f for group in groups[key] for f in (group.selections or ())]
            try:
                result[key] = self._field(type_name, first, merged, source, [*path, key], errors)
            except _ResolverError as exc:
                errors.append({**exc.entry, "path": [*path, key]})
                result[key] = None
        return result

    def _field(
        self,
        parent: str,
        field: Field,
        selections: list[Field],
        source: object,
        path: list[str],
        errors: _Errors,
    ) -> object:
        definition = OBJECTS[parent][field.name]
        child = base_name(definition.type)
        args = self._arguments(field.args, definition.args)
        if parent in ("AdminQuery", "AdminMutation"):  # a category
            if field.name in self.state.disabled_categories:
                raise _ResolverError(
                    error_entry("category_disabled", "Category disabled", None, category=field.name)
                )
            value: object = True
        elif field.name == "listUsers":
            value = self._list_users(args)
        elif field.name == "getLastMessages":
            value = self._last_messages(args)
        elif field.name == "sendMessage":
            value = self._send_message(args)
        else:
            value = _leaf(parent, field.name, source)
        if child not in OBJECTS:
            return value
        if isinstance(value, list):
            return [self._selections(child, selections, item, path, errors) for item in value]
        return self._selections(child, selections, value, path, errors)

    def _known_user(self, jid: JidValue, **extra: object) -> None:
        archive = self.state.archive
        if not archive.has_domain(jid.jid.domain_key):
            raise _unknown_user("User's domain does not exist", **extra)
        if not archive.has_user(jid.jid.key):
            raise _unknown_user("User does not exist", **extra)

    def _last_messages(self, args: Mapping[str, object]) -> dict[str, object]:
        state = self.state
        caller, with_ = args["caller"], args["with"]
        before, limit = args["before"], args["limit"]
        assert isinstance(caller, JidValue) and isinstance(limit, int)
        if state.archive.has_domain(caller.jid.domain_key) and not state.mam_enabled:
            raise _ResolverError(
                error_entry(
                    "deps_not_loaded",
                    "Some of required modules or services are not loaded",
                    None,
                    not_loaded_modules=["mod_mam_pm"],
                    not_loaded_services=[],
                )
            )
        self._known_user(caller, user=caller.text)
        applied = min(limit, state.max_result_limit)
        peer = with_.jid if isinstance(with_, JidValue) else None
        messages = state.archive.newest(
            caller.jid.key,
            None if peer is None else peer.key,
            before if isinstance(before, int) else None,
            applied,
            with_resource=peer.resource if peer is not None and peer.resource else None,
        )
        return {"stanzas": messages, "limit": applied}

    def _list_users(self, args: Mapping[str, object]) -> list[str]:
        domain = args["domain"]
        assert isinstance(domain, str)
        users = self.state.archive.users_of(domain)
        if users is None:
            raise _ResolverError(
                error_entry("domain_not_found", "Domain does not exist", None, domain=domain)
            )
        return users

    def _send_message(self, args: Mapping[str, object]) -> dict[str, object]:
        state = self.state
        sender, recipient, body = args["from"], args["to"], args["body"]
        assert isinstance(sender, JidValue) and isinstance(recipient, JidValue)
        self._known_user(sender, **{"from": sender.text})
        if not isinstance(body, str):
            message = "Unexpected StanzaAdminMutation resolver crash"
            raise _ResolverError(error_entry("resolver_crash", message, None))
        stanza_id = state.new_message_id()
        if state.mam_enabled:
            state.archive.store(
                sender.jid,
                sender.text,
                recipient.jid,
                recipient.text,
                time_us=state.clock.next_send_us(),
                body=body,
                message_id=stanza_id,
            )
        return {"id": stanza_id}


def _leaf(parent: str, name: str, source: object) -> object:
    if isinstance(source, StoredMessage):
        if name == "sender":
            return source.sender
        if name == "timestamp":
            return format_rfc3339_us(source.time_us)
        return source.stanza_id if name == "stanza_id" else source.stanza
    assert isinstance(source, dict), parent
    return source.get(name)
