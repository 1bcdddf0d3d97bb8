"""MUC Light messages reach the members' sessions (SSE subscriptions included), as
``mod_muc_light_codec_modern:encode`` broadcasts them: a ``groupchat`` from
``room/<author's bare JID>`` to each member's bare JID, the author too, with the room
archive's ``<stanza-id by=room/>`` when MAM archives the room."""

from __future__ import annotations

from fake_wire import ALICE, BOB, CAROL, T0, US, Wire, gql
from sse_wire import stream

ROOM = "team@muclight.wonderland.lit"
SEND = (
    "mutation S($room: BareJID!, $from: JID!, $body: String!) "
    "{ muc_light { sendMessageToRoom(room: $room, from: $from, body: $body) } }"
)
READ = (
    "query R($room: BareJID!) { muc_light { getRoomMessages(room: $room) "
    "{ stanzas { sender stanza_id } } } }"
)


def expected_stanza(to: str, message_id: str, archive_id: str | None) -> str:
    tail = (
        ""
        if archive_id is None
        else (f"<stanza-id by='{ROOM}' id='{archive_id}' xmlns='urn:xmpp:sid:0'/>")
    )
    return (
        f"<message from='{ROOM}/{BOB}' id='{message_id}' to='{to}' type='groupchat'>"
        f"<body>hi all</body>{tail}</message>"
    )


async def test_every_member_gets_the_message_with_the_room_archive_id(server, wire: Wire, session):
    server.clock_us = T0 * US
    server.archived_rooms = "muc_light"
    server.add_room(ROOM, members=[ALICE, BOB])
    async with (
        stream(session, server, ALICE) as alice,
        stream(session, server, BOB) as bob,
        stream(session, server, CAROL) as carol,
    ):
        answer = await gql(wire, SEND, {"room": ROOM, "from": BOB, "body": "hi all"})
        assert answer.json() == {
            "data": {"muc_light": {"sendMessageToRoom": "Message sent successfully"}}
        }
        to_alice, to_bob = await alice.message(), await bob.message()  # the author's echo too
        await carol.nothing()  # not a member
    [stored] = server.room_archive_of(ROOM)
    for event, member in ((to_alice, ALICE), (to_bob, BOB)):
        assert event == {
            "sender": f"{ROOM}/{BOB}",
            "timestamp": "2023-11-14T22:13:20.000000Z",
            "stanza_id": stored.message_id,
            "stanza": expected_stanza(member, stored.message_id, stored.stanza_id),
        }
    read = (await gql(wire, READ, {"room": ROOM})).json()["data"]["muc_light"]["getRoomMessages"]
    assert read["stanzas"] == [{"sender": f"{ROOM}/{BOB}", "stanza_id": stored.stanza_id}]


async def test_without_the_room_archive_the_message_still_arrives(server, wire: Wire, session):
    # The default: MAM archives the MUC service only (muc.host = conference.@HOST@).
    server.add_room(ROOM, members=[ALICE, BOB])
    async with stream(session, server, ALICE) as alice:
        answer = await wire.post(
            "/muc-lights/muclight.wonderland.lit/team/messages",
            json={"from": BOB, "body": "hi all"},
        )
        assert answer.status == 204
        event = await alice.message()
    assert server.room_archive_of(ROOM) == []
    assert event["stanza"] == expected_stanza(ALICE, event["stanza_id"], None)
    assert event["stanza_id"] != ""  # MUC Light stamps an id on a message without one


async def test_a_client_of_a_higher_priority_takes_the_room_message(server, wire: Wire, session):
    server.add_room(ROOM, members=[ALICE, BOB])
    server.connect_client(f"{ALICE}/phone", priority=5)
    async with stream(session, server, ALICE) as alice:
        await gql(wire, SEND, {"room": ROOM, "from": BOB, "body": "hi all"})
        await alice.nothing()
        server.disconnect_client(f"{ALICE}/phone")
        await gql(wire, SEND, {"room": ROOM, "from": BOB, "body": "hi all"})
        assert (await alice.message())["sender"] == f"{ROOM}/{BOB}"


async def test_a_refused_send_reaches_nobody(server, wire: Wire, session):
    server.add_room(ROOM, members=[ALICE])
    async with stream(session, server, ALICE) as alice:
        answer = await gql(wire, SEND, {"room": ROOM, "from": CAROL, "body": "let me in"})
        assert answer.json()["errors"][0]["extensions"]["code"] == "not_room_member"
        await alice.nothing()
