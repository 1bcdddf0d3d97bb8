"""The fake's REST room routes (MongooseIM 6.x): sending to MUC Light and MUC rooms, their
statuses and Cowboy's own answers; no room-archive read exists over REST."""

from __future__ import annotations

import json

import pytest
from fake_wire import ALICE, BOB, CAROL, Wire

from aiomongoose.testing import FakeMongooseIM

LIGHT = "party@muclight.wonderland.lit"
MUC = "tea@conference.wonderland.lit"
LIGHT_PATH = "/muc-lights/muclight.wonderland.lit/party/messages"
MUC_PATH = "/mucs/wonderland.lit/tea/messages"
ANY = {"Accept": "*/*"}


@pytest.fixture
def rooms(server: FakeMongooseIM) -> FakeMongooseIM:
    server.add_room(LIGHT, members=[ALICE, BOB])
    server.add_room(MUC, kind="muc")
    server.enter_room(MUC, f"{ALICE}/tablet", "Alice")
    server.archived_rooms = "muc_light"
    return server


async def test_muc_light_send_is_204_and_archived(rooms, wire: Wire):
    answer = await wire.post(LIGHT_PATH, json={"from": ALICE, "body": "hi all"}, headers=ANY)
    assert (answer.status, answer.body) == (204, b"")
    [stored] = rooms.room_archive_of(LIGHT)
    assert (stored.sender, stored.body) == (f"{LIGHT}/{ALICE}", "hi all")


@pytest.mark.parametrize(
    ("path", "payload", "status", "text"),
    [
        (LIGHT_PATH, {"body": "x"}, 400, "Missing sender JID"),
        (LIGHT_PATH, {"from": "a@", "body": "x"}, 400, "Invalid sender JID"),
        (LIGHT_PATH, {"from": ALICE}, 400, "Missing message body"),
        (LIGHT_PATH, {"from": ALICE, "body": "x", "colour": "red"}, 400, "Invalid request body"),
        (
            LIGHT_PATH,
            {"from": "nobody@wonderland.lit", "body": "x"},
            400,
            "Given user does not exist",
        ),
        (LIGHT_PATH, {"from": "x@nowhere.lit", "body": "x"}, 400, "User's domain does not exist"),
        (
            "/muc-lights/muclight.nowhere.lit/party/messages",
            {"from": ALICE, "body": "x"},
            404,
            "MUC Light server not found",
        ),
        (
            "/muc-lights/muclight.wonderland.lit/nope/messages",
            {"from": ALICE, "body": "x"},
            404,
            "Room not found",
        ),
        (LIGHT_PATH, {"from": CAROL, "body": "x"}, 403, "Given user does not occupy this room"),
        (
            "/muc-lights/muclight.wonderland.lit/a:b/messages",
            {"from": ALICE, "body": "x"},
            400,
            "Invalid room ID or domain name",
        ),
        (
            "/mucs/conference.wonderland.lit/tea/messages",
            {"from": ALICE, "body": "x"},
            404,
            "MUC domain not found",
        ),
        (
            "/mucs/nowhere.lit/tea/messages",
            {"from": ALICE, "body": "x"},
            404,
            "MUC domain not found",
        ),
        (
            "/mucs/wonderland.lit/a%40b/messages",
            {"from": ALICE, "body": "x"},
            400,
            "Invalid room name",
        ),
        (MUC_PATH, {"body": "x"}, 400, "Missing sender JID"),
        (MUC_PATH, {"from": ALICE}, 400, "Missing message body"),
    ],
)
async def test_send_errors(rooms, wire: Wire, path, payload, status, text):
    answer = await wire.post(path, json=payload, headers=ANY)
    assert answer.status == status
    assert answer.body == json.dumps(text).encode()  # 6.x: a JSON string, no Content-Type
    assert "Content-Type" not in answer.headers
    assert rooms.room_archive_of(LIGHT) == rooms.room_archive_of(MUC) == []


async def test_muc_send_is_always_204(rooms, wire: Wire):
    rooms.archived_rooms = "muc"
    for sender, path in (
        (ALICE, MUC_PATH),  # a bare JID: taken, but no occupant entered with it
        (f"{BOB}/x", MUC_PATH),  # not an occupant
        (f"{ALICE}/tablet", "/mucs/wonderland.lit/nope/messages"),  # no such room
    ):
        answer = await wire.post(path, json={"from": sender, "body": "x"}, headers=ANY)
        assert answer.status == 204
    assert rooms.room_archive_of(MUC) == []
    answer = await wire.post(MUC_PATH, json={"from": f"{ALICE}/tablet", "body": "tea"}, headers=ANY)
    assert answer.status == 204
    [stored] = rooms.room_archive_of(MUC)
    assert (stored.sender, stored.body, stored.message_id) == (f"{MUC}/Alice", "tea", "")


@pytest.mark.parametrize("path", [LIGHT_PATH, MUC_PATH])
async def test_cowboy_answers_of_the_room_routes(rooms, wire: Wire, path):
    payload = {"from": ALICE, "body": "x"}
    # they provide no JSON: a JSON-only Accept is refused, */* or none is fine
    assert (
        await wire.post(path, json=payload, headers={"Accept": "application/json"})
    ).status == 406
    assert (await wire.post(path, json=payload, headers={"Accept": "text/html"})).status == 204
    assert (await wire.post(path, json=payload)).status == 204
    answer = await wire.get(path)  # no room archive read over REST
    assert answer.status == 405 and "POST" in answer.headers["Allow"]
    answer = await wire.post(path, data=b'{"from": "x"}', headers={"Content-Type": "text/plain"})
    assert answer.status == 415


async def test_other_room_routes_and_versions_are_not_served(rooms, wire: Wire):
    for path in ("/muc-lights/muclight.wonderland.lit", "/mucs/wonderland.lit/tea/participants"):
        assert (await wire.post(path, json={}, headers=ANY)).status == 404
    for version in ("3.7", "6.6"):
        async with FakeMongooseIM(version=version) as fake:
            answer = await wire.to(fake).post(LIGHT_PATH, json={"from": ALICE, "body": "x"})
            assert answer.status == 404


async def test_room_routes_need_credentials(wire: Wire):
    async with FakeMongooseIM(auth=("admin", "secret")) as fake:
        answer = await wire.to(fake).post(MUC_PATH, json={"from": ALICE, "body": "x"})
        assert answer.status == 401 and answer.headers["WWW-Authenticate"].startswith("Basic")
