"""aiomongoose.testing: a fake MongooseIM admin server (REST and GraphQL) for tests and demos.

``FakeMongooseIM`` serves the API on 127.0.0.1 with the real server's quirks (see its
docstring); ``generate_archive`` seeds it with a realistic archive and ``generate_rooms``
with MUC Light rooms and their archives; the ``mongooseim``
pytest fixture (plugin ``aiomongoose.testing.pytest_plugin``) yields a started one; and
``python -m aiomongoose.testing`` runs it standalone.

The GraphQL side (``/api/graphql``; versions 6.5, 6.6 and 6.8) follows MongooseIM's documented
behaviour and its code. It runs on graphql-core (the
``testing`` extra), imported only when a GraphQL request arrives: ``_graphql`` (HTTP, auth),
``_gql_engine`` (MongooseIM's errors around graphql-core's parser, validator and executor),
``_gql_schema`` (schema, scalars, resolvers), ``_gql_rooms`` (the room categories) and
``_xmpp`` (stanza XML, times, stanza ids) document its rules. Its one limit that MongooseIM
lacks: a document nested more than 128 levels deep gets 400 ``parser_error``
(``_gql_engine.NESTING_LIMIT``).

Rooms (docs/server-behaviour.md, "Room archives"): ``_rooms`` (services, rooms, room
archives), ``_room_ops`` (what each room operation does, for both APIs), ``_rest_rooms``
(the REST send routes). ``FakeMongooseIM`` helpers: ``add_room``, ``add_room_member``,
``enter_room``, ``add_room_message``, ``room_archive_of``, ``rooms_of``; the settings
``archived_rooms`` (which service kind MAM archives), ``muc_light_enabled``,
``muc_enabled``.

Live messages (docs/server-behaviour.md, "Subscriptions over SSE"): ``GET /api/graphql/sse``
streams a ``subscribeForMessages`` subscription (``_sse``), and ``_routing`` decides which
sessions a message reaches. ``FakeMongooseIM`` helpers: ``route_message`` (a message as the
sender's client sends it), ``connect_client`` / ``disconnect_client`` (a session with a
priority, which takes bare-JID messages from the subscriptions when above 1),
``sse_sessions`` and ``wait_for_sse_sessions`` (the open subscriptions),
``sse_idle_timeout`` (every stream ends that long after it began) and the fault
``drop_stream_after``.

The REST side follows ``docs/server-behaviour.md`` (the REST sections). Where that is silent
it chooses:

- ``/messages/{owner}/{with}`` keeps the messages whose other party has the bare JID of
  ``with`` and, when ``with`` is a full JID, that resource.
- Localparts and domains compare case-insensitively (a stand-in for stringprep); senders are
  reported as written.
- Only a handful of query and JSON keys count as "known atoms" and are ignored:
  ``with, owner, id, type, from, to, caller, body, ...`` (``_api.KNOWN_ATOMS``).
- A repeated query key keeps its last value.
- Cowboy's own answers carry an empty body: no route or more than two JID segments (404),
  other methods (405 with ``Allow``), an ``Accept`` without JSON (406), a content type
  other than JSON on POST (415), a bad percent-escape or a Host mismatch (400), missing or
  wrong credentials (401 with ``WWW-Authenticate``), an ``Authorization`` header that Cowboy
  cannot parse, e.g. a Basic token with non-ASCII characters (400). 401 and that 400 come
  after 404/405, before the rest.
- ``limit`` and ``before`` may have any number of digits and a JSON body any depth, as in
  Erlang (``_json``).
- 3.7: errors are ``text/plain``; 500 for an invalid owner or interlocutor JID and for
  ``limit > 500``, otherwise the 6.5 statuses and texts; ``GET /users/{unknown}`` is ``[]``.
- ``GET /users/{domain}`` is the only users call; ``POST`` on ``/messages/{owner}`` sends.

The names are loaded on first use, so that loading the pytest plugin does not import aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._archive import StoredMessage
    from ._generate import generate_archive, generate_rooms
    from ._records import RecordedRequest
    from .fake_server import FakeMongooseIM

__all__ = [
    "FakeMongooseIM",
    "RecordedRequest",
    "StoredMessage",
    "generate_archive",
    "generate_rooms",
]

_WHERE = {
    "FakeMongooseIM": ".fake_server",
    "RecordedRequest": "._records",
    "StoredMessage": "._archive",
    "generate_archive": "._generate",
    "generate_rooms": "._generate",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
