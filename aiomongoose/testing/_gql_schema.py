"""The part of MongooseIM's admin GraphQL schema that the fake serves, and its resolvers.

Written from the server's schema files: ``stanza`` on the three roots,
``account.listUsers``, and the room operations of ``muc_light`` and ``muc`` (reading a room
archive, sending to a room, listing rooms; resolvers in :mod:`._gql_rooms`); the other
operations are not served (``unknown_field``). ``subscribeForMessages`` runs on the SSE
endpoint (:mod:`._sse`), once to open the session, then once per message routed to it.
``@include``/``@skip`` take graphql-erlang's ``if: Boolean = false``. The scalars coerce
input as ``mongoose_graphql_scalar:input/2`` does; a failure carries the Erlang reason.

Resolver failures (:class:`ResolverError`) answer 200 with ``null`` for the field:
``category_disabled`` (a category left out of ``allowed_categories``), ``deps_not_loaded``
(MAM off and the caller's domain known: the ``@use`` check needs it), ``unknown_user``,
``domain_not_found``, and ``resolver_crash`` for a ``body`` that is not a string
(graphql-erlang's ``String`` takes any value; the resolver then crashes).
``getLastMessages`` answers the newest ``min(limit, max_result_limit)`` messages at or
before ``before``, oldest first; a full JID in ``with`` matches that resource only.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import graphql as gql
from graphql import GraphQLObjectType, GraphQLResolveInfo, GraphQLScalarType, GraphQLSchema
from graphql import build_schema as build_sdl

from ._archive import StoredMessage
from ._graphql import error_entry
from ._jid import ParsedJID, domain_name_key, parse_jid
from ._json import dumps, parse_integer
from ._routing import LiveMessage, route_message
from ._state import AppState
from ._xmpp import format_rfc3339_us, parse_rfc3339_us

if TYPE_CHECKING:
    from ._sse import Subscription

__all__ = ["CoercionFailed", "ResolverError", "build_schema", "coerce_variable", "literal_value"]

_SDL = """
schema { query: AdminQuery, mutation: AdminMutation, subscription: AdminSubscription }
directive @include(if: Boolean = false) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @skip(if: Boolean = false) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
"RFC 3339 with an offset; answers have six fraction digits and Z" scalar DateTime
scalar JID scalar BareJID scalar FullJID scalar DomainName scalar PosInt scalar NonNegInt
scalar Stanza scalar XmlElement

type AdminQuery {
  account: AccountAdminQuery, stanza: StanzaAdminQuery
  muc_light: MUCLightAdminQuery, muc: MUCAdminQuery
}
type AdminMutation {
  stanza: StanzaAdminMutation, muc_light: MUCLightAdminMutation, muc: MUCAdminMutation
}
type AdminSubscription { stanza: StanzaAdminSubscription }
type AccountAdminQuery { listUsers(domain: DomainName!%s): [String!] }
type StanzaAdminQuery {
  getLastMessages(caller: JID!, with: JID, limit: PosInt = 50, before: DateTime): StanzasPayload
}
type StanzaAdminMutation { sendMessage(from: JID!, to: JID!, body: String!): SendStanzaPayload }
type StanzaAdminSubscription { subscribeForMessages(caller: JID!): StanzaMap }
type StanzasPayload { stanzas: [StanzaMap], limit: Int }
type StanzaMap { sender: JID, timestamp: DateTime, stanza_id: String, stanza: Stanza }
type SendStanzaPayload { id: ID }

type MUCLightAdminQuery {
  getRoomMessages(room: BareJID!, pageSize: PosInt, before: DateTime): StanzasPayload
  listUserRooms(user: JID!): [JID!]%s
}
type MUCLightAdminMutation { sendMessageToRoom(room: BareJID!, from: JID!, body: String!): String }
type MUCAdminQuery {
  listRooms(mucDomain: DomainName!, from: JID!, limit: PosInt, index: NonNegInt): MUCRoomsPayload!
  getRoomMessages(room: BareJID!, pageSize: PosInt, before: DateTime): StanzasPayload
}
type MUCAdminMutation { sendMessageToRoom(room: BareJID!, from: FullJID!, body: String!): String }
type MUCRoomsPayload {
  rooms: [MUCRoomDesc!]!, count: Int, index: Int, first: String, last: String
}
type MUCRoomDesc { jid: JID!, title: String!, private: Boolean, usersNumber: Int }
type MUCLightRoomsPayload { rooms: [MUCLightRoomDesc!], count: NonNegInt, nextPage: Boolean }
type MUCLightRoomDesc { jid: BareJID!, name: String, subject: String, usersNumber: NonNegInt }
"""
_PAGED_LIST_USERS = ", limit: PosInt, index: NonNegInt = 0"  # 6.6 and later
_MUC_LIGHT_LIST_ROOMS = (  # 6.8 and later
    "\n  listRooms(mucDomain: DomainName!, filter: String, after: BareJID, limit: PosInt = 50): "
    "MUCLightRoomsPayload"
)


class CoercionFailed(Exception):
    """The coercer rejected the value: ``reason`` is the Erlang term as ``~p`` prints it, or
    ``None`` where the real coercer crashes (graphql-erlang: ``input_coerce_abort``)."""

    def __init__(self, type_name: str, reason: str | None) -> None:
        super().__init__(reason)
        self.type_name, self.reason = type_name, reason


def _coerce(type_name: str, value: object) -> object:
    fail = partial(CoercionFailed, type_name)
    if type_name.endswith("JID"):
        if not isinstance(value, str):
            raise fail(None)  # jid:from_binary has no clause for it
        jid = parse_jid(value)
        if jid is None or not jid.local:
            raise fail("failed_to_parse_jid" if jid is None else "jid_without_local_part")
        if type_name != "JID" and bool(jid.resource) != (type_name == "FullJID"):
            raise fail("jid_with_resource" if jid.resource else "jid_without_resource")
        return jid
    if type_name == "DomainName":
        domain = domain_name_key(value) if isinstance(value, str) else None
        if domain is None:
            raise fail("empty_domain_name" if value == "" else "failed_to_parse_domain_name")
        return domain
    if type_name == "DateTime":
        micros = parse_rfc3339_us(value) if isinstance(value, str) else None
        if micros is None:
            raise fail("failed_to_parse_datetime")
        return micros
    if type_name in ("PosInt", "NonNegInt"):
        low, kind = (1, "positive") if type_name == "PosInt" else (0, "non-negative")
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise fail(f'"Value is not a {kind} integer"')
    return value


class Opaque(str):
    """A non-string value of a ``String``/``ID`` variable, which graphql-erlang accepts and
    graphql-core does not: it travels as a ``str`` that resolvers can tell apart."""


def coerce_variable(type_name: str, value: object) -> object:
    """A variable's value checked as graphql-erlang coerces it, in the form graphql-core takes
    (its ``Boolean`` also takes "true" and "false"); raises like the scalars."""
    if type_name in ("String", "ID") and not isinstance(value, str):
        return Opaque(dumps(value))  # JSON text: fine for values of any depth
    if type_name == "Boolean" and value in ("true", "false"):
        return value == "true"
    _coerce(type_name, value)
    return value


def literal_value(node: gql.ValueNode, variables: dict[str, Any] | None = None) -> object:
    """The value of a literal as graphql-erlang reads it: an integer of any length (its
    scanner calls ``list_to_integer``), where graphql-core's untyped reading gives NaN past
    Python's 4300 digits. A variable inside a list or object is its value, or null."""
    if isinstance(node, gql.IntValueNode):
        return parse_integer(node.value)
    if isinstance(node, gql.ListValueNode):
        return [literal_value(item, variables) for item in node.values]
    if isinstance(node, gql.ObjectValueNode):
        return {field.name.value: literal_value(field.value, variables) for field in node.fields}
    if isinstance(node, gql.VariableNode):
        return None if variables is None else variables.get(node.name.value)
    return gql.value_from_ast_untyped(node)


def _parse_literal(
    type_name: str, node: gql.ValueNode, variables: dict[str, Any] | None = None
) -> object:
    return _coerce(type_name, literal_value(node, variables))


class ResolverError(Exception):
    """A resolver's failure: the ``errors`` entry, without its path."""

    def __init__(self, code: str, message: str, **extra: object) -> None:
        super().__init__(message)
        self.entry = error_entry(code, message, None, **extra)


def deps_not_loaded(modules: list[str], *, before_6_3: bool) -> ResolverError:
    """Up to 6.2 one wording and both lists; from 6.3 only the non-empty list."""
    if before_6_3:
        message = "Some of required modules or services are not loaded"
        extra = {"not_loaded_modules": modules, "not_loaded_services": []}
        return ResolverError("deps_not_loaded", message, **extra)
    message = "Some of the required modules are not loaded"  # no services are checked here
    return ResolverError("deps_not_loaded", message, not_loaded_modules=modules)


def _known_user(state: AppState, jid: ParsedJID, **extra: object) -> None:
    if not state.archive.has_domain(jid.domain_key):
        raise ResolverError("unknown_user", "User's domain does not exist", **extra)
    if not state.archive.has_user(jid.key):
        raise ResolverError("unknown_user", "User does not exist", **extra)


def _category(_root: object, info: GraphQLResolveInfo[AppState]) -> AppState:
    if info.field_name in info.context.disabled_categories:
        raise ResolverError("category_disabled", "Category disabled", category=info.field_name)
    return info.context


def _list_users(
    state: AppState, _info: object, domain: str, limit: int | None = None, index: int = 0
) -> list[str]:
    users = state.archive.users_of(domain)
    if users is None:
        raise ResolverError("domain_not_found", "Domain does not exist", domain=domain)
    return users[index : None if limit is None else index + limit]


def _last_messages(state: AppState, _info: object, **args: Any) -> dict[str, object]:
    caller: ParsedJID = args["caller"]
    if state.archive.has_domain(caller.domain_key) and not state.mam_enabled:
        raise deps_not_loaded(["mod_mam_pm"], before_6_3=state.profile.deps_not_loaded_before_6_3)
    _known_user(state, caller, user=caller.text)
    peer: ParsedJID | None = args.get("with")
    limit = min(args["limit"], state.max_result_limit)
    messages = state.archive.newest(
        caller.key,
        None if peer is None else peer.key,
        args.get("before"),
        limit,
        with_resource=(peer.resource or None) if peer is not None else None,
    )
    return {"stanzas": messages, "limit": limit}


def _send_message(state: AppState, _info: object, **args: Any) -> dict[str, object]:
    sender, recipient, body = args["from"], args["to"], args["body"]
    _known_user(state, sender, **{"from": sender.text})
    if isinstance(body, Opaque):
        raise ResolverError("resolver_crash", "Unexpected StanzaAdminMutation resolver crash")
    stanza_id = state.new_message_id()
    route_message(
        state, sender, sender.text, recipient, recipient.text, body=body, message_id=stanza_id
    )
    return {"id": stanza_id}


def _subscription_root(subscription: Subscription, _info: object) -> Subscription:
    # mongoose_graphql_sse_handler puts no allowed_categories in the context, so the
    # category check does not apply on the SSE endpoint.
    return subscription


def _erl_binary(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'<<"{escaped}">>' if text else "<<>>"


def _erl_jid(jid: ParsedJID) -> str:
    """A JID as a ``#jid{}`` record (mongoose_jid 2: luser, lserver, lresource) printed by
    ``~p`` when it is not a binary (``mongoose_graphql_response:fixup``). On one line: ``~p``
    would break a term longer than 80 columns, which the fake does not imitate."""
    parts = (jid.local.lower(), jid.domain.lower(), jid.resource)
    return "{jid," + ",".join(_erl_binary(part) for part in parts) + "}"


def _subscribe_for_messages(
    subscription: Subscription, _info: object, caller: ParsedJID
) -> LiveMessage | None:
    # mongoose_graphql_stanza_admin_subscription: the first execution opens a session (the
    # caller must exist; the error's `caller` is the #jid{} record), later ones get an event.
    if subscription.event is None:
        _known_user(subscription.state, caller, caller=_erl_jid(caller))
        subscription.callers.append(caller)
    return subscription.event


def _timestamp(message: StoredMessage | LiveMessage, _info: object) -> str:
    return format_rfc3339_us(message.time_us)


_RESOLVERS: dict[str, dict[str, Any]] = {
    "AdminQuery": dict.fromkeys(("account", "stanza", "muc_light", "muc"), _category),
    "AdminMutation": dict.fromkeys(("stanza", "muc_light", "muc"), _category),
    "AdminSubscription": {"stanza": _subscription_root},
    "AccountAdminQuery": {"listUsers": _list_users},
    "StanzaAdminQuery": {"getLastMessages": _last_messages},
    "StanzaAdminMutation": {"sendMessage": _send_message},
    "StanzaAdminSubscription": {"subscribeForMessages": _subscribe_for_messages},
    "StanzaMap": {"timestamp": _timestamp},
}


def build_schema(paged_list_users: bool, muc_light_list_rooms: bool = False) -> GraphQLSchema:
    """The fake's schema, ready to run: ``listUsers`` with ``limit`` and ``index`` or not
    (6.6+), MUC Light ``listRooms`` or not (6.8+)."""
    from ._gql_rooms import ROOM_RESOLVERS  # it builds on this module's errors

    schema = build_sdl(
        _SDL
        % (
            _PAGED_LIST_USERS if paged_list_users else "",
            _MUC_LIGHT_LIST_ROOMS if muc_light_list_rooms else "",
        )
    )
    resolvers = {**_RESOLVERS, **ROOM_RESOLVERS}
    for gtype in schema.type_map.values():
        if isinstance(gtype, GraphQLScalarType) and gtype.ast_node is not None:
            coerce = partial(_coerce, gtype.name)
            gtype.parse_value = gtype.coerce_input_value = coerce  # type: ignore[method-assign]
            gtype.parse_literal = partial(_parse_literal, gtype.name)  # type: ignore[method-assign]
        for name, resolve in resolvers.get(gtype.name, {}).items():
            if name not in getattr(gtype, "fields", {}):
                continue  # an operation this version does not have
            assert isinstance(gtype, GraphQLObjectType)
            gtype.fields[name].resolve = resolve
    return schema
