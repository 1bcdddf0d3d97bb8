"""The part of MongooseIM's admin GraphQL schema that the fake serves.

From ``priv/graphql/schemas/admin/stanza.gql`` and ``global/stanza.gql``: ``stanza`` under
the query and mutation roots, ``getLastMessages(caller: JID!, with: JID, limit: PosInt = 50,
before: DateTime): StanzasPayload`` and ``sendMessage(from: JID!, to: JID!, body: String!):
SendStanzaPayload``, their payload types, and graphql-erlang's ``@include``/``@skip``
(argument ``if: Bool = false``). From ``admin/account.gql``: ``account`` under the query
root with ``listUsers(domain: DomainName!): [String!]``. The other categories and
operations of the real schema (``account`` mutations, ``countUsers``, ``sendStanza``, ...)
are unknown fields here; subscriptions have no fields.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ._gql_ast import GType, ListOf, Named, NonNull

__all__ = [
    "DIRECTIVES",
    "OBJECTS",
    "ROOTS",
    "ArgDef",
    "FieldDef",
    "accepts",
    "base_name",
    "format_type",
]


@attrs.frozen
class ArgDef:
    """An argument: its type and default (already a coerced value)."""

    type: GType
    default: object = None


@attrs.frozen
class FieldDef:
    """A field: its output type and arguments."""

    type: GType
    args: Mapping[str, ArgDef] = attrs.Factory(dict)


def _named(name: str, *, required: bool = False) -> GType:
    return NonNull(Named(name)) if required else Named(name)


#: The object types of the fake's schema.
OBJECTS: dict[str, dict[str, FieldDef]] = {
    "AdminQuery": {
        "account": FieldDef(Named("AccountAdminQuery")),
        "stanza": FieldDef(Named("StanzaAdminQuery")),
    },
    "AdminMutation": {"stanza": FieldDef(Named("StanzaAdminMutation"))},
    "AdminSubscription": {},
    "AccountAdminQuery": {
        "listUsers": FieldDef(
            ListOf(NonNull(Named("String"))),
            {"domain": ArgDef(_named("DomainName", required=True))},
        )
    },
    "StanzaAdminQuery": {
        "getLastMessages": FieldDef(
            Named("StanzasPayload"),
            {
                "caller": ArgDef(_named("JID", required=True)),
                "with": ArgDef(Named("JID")),
                "limit": ArgDef(Named("PosInt"), 50),
                "before": ArgDef(Named("DateTime")),
            },
        )
    },
    "StanzaAdminMutation": {
        "sendMessage": FieldDef(
            Named("SendStanzaPayload"),
            {
                "from": ArgDef(_named("JID", required=True)),
                "to": ArgDef(_named("JID", required=True)),
                "body": ArgDef(_named("String", required=True)),
            },
        )
    },
    "StanzasPayload": {
        "stanzas": FieldDef(ListOf(Named("StanzaMap"))),
        "limit": FieldDef(Named("Int")),
    },
    "StanzaMap": {
        "sender": FieldDef(Named("JID")),
        "timestamp": FieldDef(Named("DateTime")),
        "stanza_id": FieldDef(Named("String")),
        "stanza": FieldDef(Named("Stanza")),
    },
    "SendStanzaPayload": {"id": FieldDef(Named("ID"))},
}
#: The root object type of each operation kind.
ROOTS = {"query": "AdminQuery", "mutation": "AdminMutation", "subscription": "AdminSubscription"}
#: The directives a query may use, with their arguments.
DIRECTIVES = {name: {"if": ArgDef(Named("Bool"), False)} for name in ("include", "skip")}


def format_type(gtype: GType) -> str:
    """A type as graphql-erlang's ``format_ty`` writes it (``JID!``, ``{list, JID}``)."""
    if isinstance(gtype, NonNull):
        return format_type(gtype.of) + "!"
    if isinstance(gtype, ListOf):
        return "{list, " + format_type(gtype.of) + "}"
    return gtype.name


def base_name(gtype: GType) -> str:
    """The named type inside list and non-null wrappers."""
    while not isinstance(gtype, Named):
        gtype = gtype.of
    return gtype.name


def accepts(tau: GType, sigma: GType) -> bool:
    """Whether a variable of type ``tau`` may fill a slot of type ``sigma`` (``sub_input``)."""
    if isinstance(tau, NonNull):
        return accepts(tau.of, sigma.of if isinstance(sigma, NonNull) else sigma)
    if isinstance(sigma, NonNull):
        return False
    if isinstance(sigma, ListOf):
        return accepts(tau.of if isinstance(tau, ListOf) else tau, sigma.of)
    return isinstance(tau, Named) and isinstance(sigma, Named) and tau.name == sigma.name
