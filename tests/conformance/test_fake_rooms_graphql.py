"""The fake's ``muc_light`` and ``muc`` GraphQL categories, as MongooseIM answers them
(docs/server-behaviour.md, "Room archives"): raw documents over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from fake_wire import ALICE, BOB, CAROL, T0, US, Wire, error_of, gql

from aiomongoose.testing import FakeMongooseIM

LIGHT = "party@muclight.wonderland.lit"
MUC = "tea@conference.wonderland.lit"


def read_doc(kind: str) -> str:
    return (
        f"query R($room: BareJID!, $pageSize: PosInt, $before: DateTime) {{ {kind} {{ "
        "getRoomMessages(room: $room, pageSize: $pageSize, before: $before) "
        "{ stanzas { sender timestamp stanza_id stanza } limit } } }"
    )


def send_doc(kind: str) -> str:
    sender = "JID!" if kind == "muc_light" else "FullJID!"
    return (
        f"mutation S($room: BareJID!, $from: {sender}, $body: String!) {{ {kind} {{ "
        "sendMessageToRoom(room: $room, from: $from, body: $body) } }"
    )


USER_ROOMS = "query U($user: JID!) { muc_light { listUserRooms(user: $user) } }"
MUC_ROOMS = (
    "query L($d: DomainName!, $from: JID!, $limit: PosInt, $index: NonNegInt) { muc { "
    "listRooms(mucDomain: $d, from: $from, limit: $limit, index: $index) "
    "{ rooms { jid title private usersNumber } count index first last } } }"
)
LIGHT_ROOMS = (
    "query L($d: DomainName!, $after: BareJID, $limit: PosInt, $filter: String) { muc_light { "
    "listRooms(mucDomain: $d, after: $after, limit: $limit, filter: $filter) "
    "{ rooms { jid name usersNumber } count nextPage } } }"
)


async def ok(wire: Wire, document: str, kind: str, field: str, **variables: Any) -> Any:
    answer = await gql(wire, document, variables)
    assert answer.status == 200, answer.body
    body = answer.json()
    assert "errors" not in body, body
    return body["data"][kind][field]


async def failed(wire: Wire, document: str, kind: str, **variables: Any) -> dict[str, Any]:
    answer = await gql(wire, document, variables)
    error = error_of(answer, 200)
    # the field is null; a non-null field (muc.listRooms: MUCRoomsPayload!) nulls its category
    category = answer.json()["data"][kind]
    assert category is None or list(category.values()) == [None]
    return error


@pytest.fixture
def rooms(server: FakeMongooseIM) -> FakeMongooseIM:
    server.add_room(LIGHT, members=[ALICE, BOB])
    server.add_room(MUC, kind="muc")
    server.enter_room(MUC, f"{ALICE}/tablet", "Alice")
    return server


# -- getRoomMessages ---------------------------------------------------------------------


async def test_room_messages_page_oldest_first_with_the_fixed_cap(rooms, wire):
    rooms.archived_rooms = "muc_light"
    for i in range(60):
        rooms.add_room_message(LIGHT, BOB, at_us=T0 * US + i, message_id=f"m{i}")
    page = await ok(wire, read_doc("muc_light"), "muc_light", "getRoomMessages", room=LIGHT)
    assert page["limit"] == 50  # no pageSize: 50, whatever max_result_limit
    assert [s["stanza_id"] for s in page["stanzas"]] == [
        m.stanza_id for m in rooms.room_archive_of(LIGHT)[10:]
    ]
    first = page["stanzas"][0]
    assert first["sender"] == f"{LIGHT}/{BOB}"
    assert first["timestamp"] == "2023-11-14T22:13:20.000010Z"
    assert "type='groupchat'" in first["stanza"] and "id='m10'" in first["stanza"]
    rooms.max_result_limit = 5  # the room cap ignores mod_mam's
    for size, applied in ((7, 7), (80, 50), (None, 50)):
        page = await ok(
            wire, read_doc("muc_light"), "muc_light", "getRoomMessages", room=LIGHT, pageSize=size
        )
        assert page["limit"] == applied and len(page["stanzas"]) == applied
    before = "2023-11-14T22:13:20.000003Z"  # inclusive, to the microsecond
    page = await ok(
        wire, read_doc("muc_light"), "muc_light", "getRoomMessages", room=LIGHT, before=before
    )
    assert [s["stanza"].split("id='")[1][:2] for s in page["stanzas"]] == ["m0", "m1", "m2", "m3"]


async def test_without_before_the_bound_is_now(rooms, wire):
    rooms.clock_us = T0 * US
    rooms.add_room_message(MUC, "Alice", at_us=T0 * US - 1)
    rooms.add_room_message(MUC, "Alice", at_us=T0 * US + 1)  # in the future
    page = await ok(wire, read_doc("muc"), "muc", "getRoomMessages", room=MUC)
    assert len(page["stanzas"]) == 1
    assert page["stanzas"][0]["sender"] == f"{MUC}/Alice"


async def test_a_room_of_a_service_mam_does_not_archive_reads_empty(rooms, wire):
    rooms.add_room_message(LIGHT, ALICE, at_us=T0 * US)  # archived_rooms is "muc"
    page = await ok(wire, read_doc("muc_light"), "muc_light", "getRoomMessages", room=LIGHT)
    assert page == {"stanzas": [], "limit": 50}


async def test_room_read_errors(rooms, wire):
    error = await failed(
        wire, read_doc("muc_light"), "muc_light", room="nope@muclight.wonderland.lit"
    )
    assert (error["extensions"]["code"], error["message"]) == ("room_not_found", "Room not found")
    assert error["path"] == ["muc_light", "getRoomMessages"]
    error = await failed(wire, read_doc("muc_light"), "muc_light", room="x@muclight.nowhere.lit")
    assert error["message"] == "MUC Light server not found"
    assert error["extensions"]["code"] == "muc_server_not_found"
    # MUC does not check the room, only the service
    page = await ok(
        wire, read_doc("muc"), "muc", "getRoomMessages", room="nope@conference.wonderland.lit"
    )
    assert page["stanzas"] == []
    error = await failed(wire, read_doc("muc"), "muc", room="x@muclight.wonderland.lit")
    assert error["message"] == "MUC server not found"


async def test_modules_off(rooms, wire):
    rooms.muc_light_enabled = False  # its subdomain is gone: the resolver runs
    error = await failed(wire, read_doc("muc_light"), "muc_light", room=LIGHT)
    assert error["message"] == "MUC Light server not found"
    # a room named on a served domain lets @use find the host type
    error = await failed(wire, read_doc("muc_light"), "muc_light", room="x@wonderland.lit")
    assert error["extensions"] == {
        "code": "deps_not_loaded",
        "not_loaded_modules": ["mod_muc_light"],
    }
    rooms.muc_light_enabled = True
    rooms.archived_rooms = None  # mod_mam_muc off
    error = await failed(wire, read_doc("muc"), "muc", room=MUC)
    assert error["extensions"]["not_loaded_modules"] == ["mod_mam_muc"]
    assert error["message"] == "Some of the required modules are not loaded"


@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        ({"room": f"{LIGHT}/res"}, "jid_with_resource"),
        ({"room": "muclight.wonderland.lit"}, "jid_without_local_part"),
        ({"room": LIGHT, "pageSize": 0}, "Value is not a positive integer"),
        ({"room": LIGHT, "before": "2024-01-01T00:00:00"}, "failed_to_parse_datetime"),
    ],
)
async def test_room_read_input_coercion(rooms, wire, variables, reason):
    error = error_of(await gql(wire, read_doc("muc_light"), variables), 400)
    assert error["extensions"]["code"] == "input_coercion"
    assert reason in error["message"]


# -- sendMessageToRoom -------------------------------------------------------------------


async def test_muc_light_send_archives_under_the_authors_bare_jid(rooms, wire):
    rooms.archived_rooms = "muc_light"
    answer = await ok(
        wire,
        send_doc("muc_light"),
        "muc_light",
        "sendMessageToRoom",
        room=LIGHT,
        **{"from": f"{ALICE}/phone", "body": "<hi>"},
    )
    assert answer == "Message sent successfully"
    [stored] = rooms.room_archive_of(LIGHT)
    assert (stored.sender, stored.body, stored.type) == (f"{LIGHT}/{ALICE}", "<hi>", "groupchat")
    assert stored.message_id  # MUC Light stamps an id


@pytest.mark.parametrize(
    ("sender", "room", "code", "message"),
    [
        (
            "nobody@nowhere.lit",
            "nope@muclight.nowhere.lit",
            "user_not_found",
            "User's domain does not exist",
        ),
        (
            "nobody@wonderland.lit",
            "nope@muclight.nowhere.lit",
            "user_not_found",
            "Given user does not exist",
        ),
        (CAROL, "nope@muclight.nowhere.lit", "muc_server_not_found", "MUC Light server not found"),
        (CAROL, "nope@muclight.wonderland.lit", "room_not_found", "Room not found"),
        (CAROL, LIGHT, "not_room_member", "Given user does not occupy this room"),
    ],
)
async def test_muc_light_send_checks_in_order(rooms, wire, sender, room, code, message):
    error = await failed(
        wire, send_doc("muc_light"), "muc_light", room=room, **{"from": sender, "body": "x"}
    )
    assert (error["extensions"]["code"], error["message"]) == (code, message)
    assert rooms.room_archive_of(LIGHT) == []


async def test_muc_send_takes_a_full_jid_and_checks_nothing(rooms, wire):
    error = error_of(
        await gql(wire, send_doc("muc"), {"room": MUC, "from": ALICE, "body": "x"}), 400
    )
    assert "jid_without_resource" in error["message"]
    for sender, room in (
        (f"{BOB}/x", MUC),
        (f"{ALICE}/tablet", "nope@conference.wonderland.lit"),
        (f"{ALICE}/phone", MUC),
    ):
        answer = await ok(
            wire,
            send_doc("muc"),
            "muc",
            "sendMessageToRoom",
            room=room,
            **{"from": sender, "body": "x"},
        )
        assert answer == "Message sent successfully"
    assert rooms.room_archive_of(MUC) == []  # none of them was an occupant's exact JID
    await ok(
        wire,
        send_doc("muc"),
        "muc",
        "sendMessageToRoom",
        room=MUC,
        **{"from": f"{ALICE}/tablet", "body": "tea?"},
    )
    [stored] = rooms.room_archive_of(MUC)
    assert (stored.sender, stored.body, stored.message_id) == (f"{MUC}/Alice", "tea?", "")


# -- listing -----------------------------------------------------------------------------


async def test_list_user_rooms(rooms, wire):
    rooms.add_room("b@muclight.wonderland.lit", members=[BOB])
    assert await ok(wire, USER_ROOMS, "muc_light", "listUserRooms", user=f"{ALICE}/x") == [LIGHT]
    bob = await ok(wire, USER_ROOMS, "muc_light", "listUserRooms", user=BOB)
    assert sorted(bob) == sorted([LIGHT, "b@muclight.wonderland.lit"])
    error = await failed(wire, USER_ROOMS, "muc_light", user="nobody@wonderland.lit")
    assert (error["extensions"]["code"], error["message"]) == (
        "user_not_found",
        "Given user does not exist",
    )


async def test_muc_list_rooms_slices_then_hides(rooms, wire):
    for name in ("a", "b", "c", "d"):
        rooms.add_room(f"{name}@conference.wonderland.lit", kind="muc", public=name != "b")
    domain = "conference.wonderland.lit"
    page = await ok(
        wire, MUC_ROOMS, "muc", "listRooms", d=domain, **{"from": CAROL}, limit=2, index=0
    )
    assert [r["jid"] for r in page["rooms"]] == ["a@conference.wonderland.lit"]  # b is hidden
    assert (page["count"], page["index"], page["first"], page["last"]) == (5, 0, "a", "b")
    page = await ok(
        wire, MUC_ROOMS, "muc", "listRooms", d=domain, **{"from": CAROL}, limit=2, index=4
    )
    assert [r["jid"] for r in page["rooms"]] == [MUC]
    assert page["rooms"][0]["usersNumber"] == 1 and page["rooms"][0]["private"] is False
    page = await ok(wire, MUC_ROOMS, "muc", "listRooms", d=domain, **{"from": CAROL}, index=9)
    assert page == {"rooms": [], "count": 5, "index": None, "first": None, "last": None}
    for bad in ("nowhere.lit", "wonderland.lit"):  # the XMPP domain is not the MUC service
        error = await failed(wire, MUC_ROOMS, "muc", d=bad, **{"from": CAROL})
        assert error["message"] == "MUC server not found"
    error = error_of(await gql(wire, MUC_ROOMS, {"d": domain, "from": CAROL, "limit": 0}), 400)
    assert "Value is not a positive integer" in error["message"]


async def test_muc_light_list_rooms_is_only_in_6_8(wire):
    answer = await gql(wire, LIGHT_ROOMS, {"d": "muclight.wonderland.lit"})
    assert error_of(answer, 400)["extensions"]["code"] == "unknown_field"
    async with FakeMongooseIM(version="6.8") as fake:
        fake.add_user(ALICE)
        for name in ("c", "a", "e", "b", "d"):
            fake.add_room(f"{name}@muclight.wonderland.lit", members=[ALICE])
        v8 = wire.to(fake)
        domain = "muclight.wonderland.lit"
        page = await ok(v8, LIGHT_ROOMS, "muc_light", "listRooms", d=domain, limit=2)
        assert [r["jid"][0] for r in page["rooms"]] == ["a", "b"]
        assert (page["count"], page["nextPage"]) == (5, True)
        page = await ok(v8, LIGHT_ROOMS, "muc_light", "listRooms", d=domain, after=f"d@{domain}")
        assert ([r["jid"][0] for r in page["rooms"]], page["nextPage"]) == (["e"], False)
        page = await ok(v8, LIGHT_ROOMS, "muc_light", "listRooms", d=domain, filter="c@")
        assert [r["jid"] for r in page["rooms"]] == [f"c@{domain}"] and page["count"] == 1
        error = await failed(v8, LIGHT_ROOMS, "muc_light", d="muclight.nowhere.lit")
        assert error["message"] == "MUC Light server not found"
