"""The rooms group's pure wire functions (``rooms/rest.py``, ``rooms/graphql.py``), its error
codes, the records' ``room``/``author`` accessors and the checks made before any request."""

from __future__ import annotations

import json
import re

import pytest

from aiomongoose import (
    AdminClient,
    ApiError,
    ArchivedMessage,
    BadRequestError,
    FeatureDisabledError,
    ForbiddenError,
    InvalidArgumentError,
    InvalidJIDError,
    MongooseIMError,
    NotFoundError,
    ProtocolError,
    UnsupportedOperationError,
)
from aiomongoose._graphql import check
from aiomongoose.rooms import graphql, rest

ROOM = "party@muclight.wonderland.lit"
MUC_ROOM = "tea@conference.wonderland.lit"
ALICE = "alice@wonderland.lit"
T_US = 1_714_644_672_345_678  # 2024-05-02T10:11:12.345678Z


def stanza_record(sender: str, stanza_id: str = "C5RLQAE7CJG1", body: str = "Hi") -> dict:
    return {
        "sender": sender,
        "timestamp": "2024-05-02T10:11:12.345678Z",
        "stanza_id": stanza_id,
        "stanza": f"<message id='m1' type='groupchat'><body>{body}</body></message>",
    }


DOCUMENTS = {
    **{
        f"ROOM_MESSAGES[{k}]": (graphql.ROOM_MESSAGES[k], {"room", "pageSize", "before"})
        for k in ("muc_light", "muc")
    },  # fmt: skip
    **{
        f"SEND_TO_ROOM[{k}]": (graphql.SEND_TO_ROOM[k], {"room", "from", "body"})
        for k in ("muc_light", "muc")
    },  # fmt: skip
    "USER_ROOMS": (graphql.USER_ROOMS, {"user"}),
    "MUC_ROOMS": (graphql.MUC_ROOMS, {"mucDomain", "from", "limit", "index"}),
    "MUC_LIGHT_ROOMS": (graphql.MUC_LIGHT_ROOMS, {"mucDomain", "after", "limit"}),
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_documents_are_constants_with_variables_only(name):
    document, variables = DOCUMENTS[name]
    header, _, selection = document.partition("{")
    assert sorted(re.findall(r"\$(\w+)\s*:", header)) == sorted(variables)
    used = set()
    for argument_list in re.findall(r"\(([^)]*)\)", selection):
        for pair in argument_list.split(","):
            field, _, value = (part.strip() for part in pair.partition(":"))
            assert value == f"${field}"
            used.add(field)
    assert used == variables
    assert '"' not in document and "'" not in document and not re.search(r"\d", selection)


def test_documents_declare_the_servers_types():
    for kind in ("muc_light", "muc"):
        read = graphql.ROOM_MESSAGES[kind]
        assert read.startswith("query ") and f"{{ {kind} {{ getRoomMessages(" in read
        assert "$room: BareJID!" in read and re.search(r"\$pageSize: PosInt\b(?!!)", read)
        assert re.search(r"\$before: DateTime\b(?!!)", read)
        assert "stanzas { sender timestamp stanza_id stanza } limit" in read
        assert graphql.SEND_TO_ROOM[kind].startswith("mutation ")
    # classic MUC's sender is an occupant's full JID; MUC Light's any user JID
    assert "$from: FullJID!" in graphql.SEND_TO_ROOM["muc"]
    assert "$from: JID!" in graphql.SEND_TO_ROOM["muc_light"]
    assert "$from: JID!" in graphql.MUC_ROOMS and "$index: NonNegInt" in graphql.MUC_ROOMS
    assert "$after: BareJID" in graphql.MUC_LIGHT_ROOMS and "nextPage" in graphql.MUC_LIGHT_ROOMS
    names = {graphql.recent(k, ROOM, None, None).operation for k in ("muc_light", "muc")}
    assert names == {"MucLightRoomMessages", "MucRoomMessages"}


def test_recent_variables():
    call = graphql.recent("muc", MUC_ROOM, T_US, 7)
    assert call.reads and call.operation == "MucRoomMessages"
    assert call.variables == {
        "room": MUC_ROOM,
        "pageSize": 7,
        "before": "2024-05-02T10:11:12.345678Z",
    }
    assert graphql.recent("muc_light", ROOM, None, None).variables == {"room": ROOM}


def test_parse_recent_reads_records_and_the_applied_limit():
    payload = {"stanzas": [stanza_record(f"{ROOM}/{ALICE}")], "limit": 50}
    data = {"muc_light": {"getRoomMessages": payload}}
    page, limit = graphql.parse_recent("muc_light", data, 200, b"")
    assert limit == 50
    [record] = page
    assert (record.timestamp_us, record.stanza_id, record.body) == (T_US, "C5RLQAE7CJG1", "Hi")
    assert (record.room, record.author) == (ROOM, ALICE)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {"stanzas": None, "limit": 50},
        {"stanzas": [], "limit": "50"},
        {"stanzas": [{"sender": 1}], "limit": 50},
        {"stanzas": {}, "limit": 50},
    ],
)
def test_parse_recent_rejects_malformed_payloads(payload):
    with pytest.raises(ProtocolError):
        graphql.parse_recent("muc", {"muc": {"getRoomMessages": payload}}, 200, b"x")
    with pytest.raises(ProtocolError):  # the other category's answer is not this one
        graphql.parse_recent("muc_light", {"muc": {"getRoomMessages": payload}}, 200, b"x")


def test_send_variables_and_answer():
    call = graphql.send("muc", MUC_ROOM, f"{ALICE}/tea", "hello")
    assert not call.reads
    assert call.variables == {"room": MUC_ROOM, "from": f"{ALICE}/tea", "body": "hello"}
    ok = {"muc": {"sendMessageToRoom": "Message sent successfully"}}
    assert graphql.parse_send("muc", ok, 200, b"") is None
    with pytest.raises(ProtocolError):
        graphql.parse_send("muc", {"muc": {"sendMessageToRoom": None}}, 200, b"")


def test_user_rooms():
    assert graphql.user_rooms(ALICE).variables == {"user": ALICE}
    data = {"muc_light": {"listUserRooms": [ROOM, "b@muclight.wonderland.lit"]}}
    assert graphql.parse_user_rooms(data, 200, b"") == [ROOM, "b@muclight.wonderland.lit"]
    for bad in (None, [1], {}):
        with pytest.raises(ProtocolError):
            graphql.parse_user_rooms({"muc_light": {"listUserRooms": bad}}, 200, b"")


def test_room_listings():
    call = graphql.list_muc_rooms("conference.wonderland.lit", ALICE, 100, 200)
    assert call.variables == {
        "mucDomain": "conference.wonderland.lit",
        "from": ALICE,
        "limit": 100,
        "index": 200,
    }
    answer = {"muc": {"listRooms": {"rooms": [{"jid": MUC_ROOM}], "count": 3, "index": 2}}}
    assert graphql.parse_list_muc_rooms(answer, 200, b"") == graphql.RoomsPage((MUC_ROOM,), 3)
    empty = {"muc": {"listRooms": {"rooms": [], "count": 0, "index": None}}}
    assert graphql.parse_list_muc_rooms(empty, 200, b"").jids == ()
    first = graphql.list_muc_light_rooms("m.lit", None, 5)
    assert first.variables == {"mucDomain": "m.lit", "limit": 5}
    assert graphql.list_muc_light_rooms("m.lit", ROOM, 5).variables["after"] == ROOM
    light = {"muc_light": {"listRooms": {"rooms": [{"jid": ROOM}], "count": 9, "nextPage": True}}}
    page = graphql.parse_list_muc_light_rooms(light, 200, b"")
    assert (page.jids, page.next_page) == ((ROOM,), True)
    for bad in (None, {"rooms": [{"jid": 1}]}, {"rooms": [{}]}, {"rooms": "x"}, {"count": "3"}):
        with pytest.raises(ProtocolError):
            graphql.parse_list_muc_rooms({"muc": {"listRooms": bad}}, 200, b"")
    with pytest.raises(ProtocolError):
        graphql.parse_list_muc_light_rooms({"muc_light": {"listRooms": {"nextPage": 1}}}, 200, b"")


# -- REST: sending only ------------------------------------------------------------------


def test_rest_send_muc_light_path_body_and_accept():
    call = rest.send("muc_light", ROOM, ALICE, "hi there")
    assert call.method == "POST"
    assert call.segments == ("muc-lights", "muclight.wonderland.lit", "party", "messages")
    assert json.loads(call.body) == {"from": ALICE, "body": "hi there"}
    assert call.accept == "*/*"  # the room routes refuse a JSON-only Accept (406)


def test_rest_send_muc_takes_the_xmpp_domain():
    call = rest.send("muc", MUC_ROOM, ALICE, "x")
    assert call.segments == ("mucs", "wonderland.lit", "tea", "messages")
    assert rest.send("muc", MUC_ROOM, ALICE, "x", "other.lit").segments[1] == "other.lit"


@pytest.mark.parametrize(
    ("service", "domain"),
    [
        ("conference.wonderland.lit", "wonderland.lit"),
        ("muc.a.b.c", "a.b.c"),
        ("localhost", "localhost"),
        ("conference.localhost", "localhost"),
    ],
)
def test_xmpp_domain_of(service, domain):
    assert rest.xmpp_domain_of(service) == domain


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message", "cls"),
    [
        ("muc_server_not_found", "MUC Light server not found", NotFoundError),
        ("muc_server_not_found", "MUC server not found", NotFoundError),
        ("room_not_found", "Room not found", NotFoundError),
        ("not_room_member", "Given user does not occupy this room", ForbiddenError),
        ("user_not_found", "Given user does not exist", BadRequestError),
        ("deps_not_loaded", "Some of the required modules are not loaded", FeatureDisabledError),
    ],
)
def test_room_error_codes(code, message, cls):
    extensions = {"code": code, "not_loaded_modules": ["mod_mam_muc"]}
    error = {"message": message, "extensions": extensions, "path": ["muc_light"]}
    body = {"data": {"muc_light": None}, "errors": [error]}
    with pytest.raises(ApiError) as info:
        check(200, json.dumps(body).encode(), method="POST", url="u")
    assert type(info.value) is cls and info.value.message == message
    if cls is FeatureDisabledError:
        assert "mod_mam_muc" in str(info.value)


def test_unsupported_operation_error_is_in_the_tree():
    assert issubclass(UnsupportedOperationError, MongooseIMError)
    assert not issubclass(UnsupportedOperationError, ApiError)


# -- records -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "room", "author"),
    [
        (f"{ROOM}/{ALICE}", ROOM, ALICE),
        (f"{MUC_ROOM}/Mad Hatter", MUC_ROOM, "Mad Hatter"),
        (f"{MUC_ROOM}/a/b@c", MUC_ROOM, "a/b@c"),  # a nick may hold / and @
        (MUC_ROOM, MUC_ROOM, None),
        (f"{ALICE}/phone", ALICE, "phone"),
    ],
)
def test_room_and_author_split_the_sender_on_its_first_slash(sender, room, author):
    record = ArchivedMessage(sender, 1, "", "hi")
    assert (record.room, record.author) == (room, author)


# -- checks before any request -----------------------------------------------------------


async def test_bad_arguments_raise_before_any_request(mocked):
    async with AdminClient("http://localhost:5551/api", api="graphql") as client:
        rooms = client.rooms
        with pytest.raises(InvalidArgumentError):
            rooms.history(ROOM, kind="irc")
        with pytest.raises(InvalidJIDError):
            rooms.history(f"{ROOM}/res")
        with pytest.raises(InvalidJIDError):
            rooms.history("muclight.wonderland.lit")
        with pytest.raises(InvalidArgumentError):
            rooms.history(ROOM, page_size=0)
        with pytest.raises(InvalidArgumentError):
            await rooms.recent(ROOM, limit=-1)
        with pytest.raises(InvalidArgumentError):
            await rooms.send(ROOM, ALICE, "\x00")
        with pytest.raises(InvalidArgumentError):
            await rooms.send(ROOM, ALICE, "hi", xmpp_domain="wonderland.lit")  # MUC only
        # classic MUC over GraphQL needs an occupant's full JID
        with pytest.raises(InvalidJIDError, match="full JID"):
            await rooms.send(MUC_ROOM, ALICE, "hi", kind="muc")
        with pytest.raises(InvalidArgumentError, match="visible_to"):
            await rooms.list("conference.wonderland.lit")
        with pytest.raises(InvalidArgumentError):
            await rooms.list("muclight.wonderland.lit", kind="muc_light", visible_to=ALICE)
        with pytest.raises(InvalidJIDError):
            await rooms.list("a@b", visible_to=ALICE)
    assert not mocked.requests


async def test_rest_cannot_read_or_list_rooms_and_says_so_before_any_request(mocked):
    async with AdminClient("http://localhost:8088/api", api="rest") as client:
        with pytest.raises(UnsupportedOperationError, match="api='graphql'.*6.0"):
            client.rooms.history(ROOM)
        with pytest.raises(UnsupportedOperationError, match="cannot read room archives"):
            await client.rooms.recent(MUC_ROOM, kind="muc")
        with pytest.raises(UnsupportedOperationError):
            await client.rooms.of_user(ALICE)
        with pytest.raises(UnsupportedOperationError):
            await client.rooms.list("conference.wonderland.lit", visible_to=ALICE)
    assert not mocked.requests
