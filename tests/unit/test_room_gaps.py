"""Reading back rooms after a reconnection (messages/gaps.py), without HTTP: which rooms,
from where, and that a failure half-way moves no anchor."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest

from aiomongoose import GraphQLArchivedMessage, IncomingMessage, MessageList
from aiomongoose.errors import FeatureDisabledError, NotFoundError, ServerError
from aiomongoose.messages.gaps import RoomAnchors

BOT = "bot@example.com"
TEA, HALL = "tea@muclight.example.com", "hall@muclight.example.com"
US = 1_000_000
T0 = 1_700_000_000 * US


def record(room: str, n: int) -> GraphQLArchivedMessage:
    time_us = T0 + n * US
    return GraphQLArchivedMessage(
        f"{room}/alice@example.com",
        time_us // US,
        f"m{n}",
        f"b{n}",
        stanza_id=f"{room[:3]}{n}",
        stanza=f"<message id='m{n}' type='groupchat'><body>b{n}</body></message>",
        timestamp_us=time_us,
    )


def live(room: str, n: int) -> IncomingMessage:
    when = datetime.fromtimestamp((T0 + n * US) / US, timezone.utc)
    return IncomingMessage(f"{room}/alice@example.com", BOT, "groupchat", f"m{n}", f"b{n}",
                           "", when, f"{room[:3]}{n}")  # fmt: skip


class Rooms:
    """Room archives (oldest first) answering getRoomMessages, and the calls made."""

    def __init__(self, archives: dict[str, list[GraphQLArchivedMessage]]) -> None:
        self.archives = archives
        self.calls: list[tuple[str, int | None]] = []
        self.fail: dict[str, Exception] = {}

    async def read(self, room: str, before_us: int | None, limit: int) -> tuple[MessageList, int]:
        self.calls.append((room, before_us))
        if room in self.fail:
            raise self.fail[room]
        held = [r for r in self.archives[room] if before_us is None or r.timestamp_us <= before_us]
        return MessageList(held[-limit:]), limit


async def test_each_heard_room_is_read_back_from_its_last_message_and_nothing_else():
    rooms = Rooms({TEA: [record(TEA, n) for n in range(5)], HALL: [record(HALL, 9)]})
    anchors = RoomAnchors(BOT, rooms.read)
    anchors.saw(live(TEA, 2), T0 + 2 * US)
    found, after = await anchors.read_back()
    assert [(t - T0) // US for t, _ in found] == [3, 4]  # oldest first within a room
    assert [m.body for _, m in found] == ["b3", "b4"]
    assert {m.room for _, m in found} == {TEA} and rooms.calls == [(TEA, None)]
    assert all(m.to == BOT and m.archive_id for _, m in found)
    anchors.take(after)
    rooms.calls.clear()
    assert (await anchors.read_back())[0] == []  # the anchor moved to b4


async def test_a_server_failure_raises_and_moves_no_anchor():
    rooms = Rooms(
        {TEA: [record(TEA, n) for n in range(3)], HALL: [record(HALL, n) for n in range(3)]}
    )
    anchors = RoomAnchors(BOT, rooms.read)
    anchors.saw(live(TEA, 0), T0)
    anchors.saw(live(HALL, 0), T0)
    rooms.fail[HALL] = ServerError(500, "boom")
    with pytest.raises(ServerError):
        await anchors.read_back()
    del rooms.fail[HALL]
    found, _ = await anchors.read_back()  # both rooms, from their old anchors
    assert sorted(m.archive_id for _, m in found) == ["hal1", "hal2", "tea1", "tea2"]


async def test_a_room_that_is_gone_is_warned_about_and_left_out(caplog):
    rooms = Rooms({TEA: [record(TEA, n) for n in range(2)], HALL: []})
    anchors = RoomAnchors(BOT, rooms.read)
    anchors.saw(live(TEA, 0), T0)
    anchors.saw(live(HALL, 0), T0)
    rooms.fail[HALL] = NotFoundError(200, "Room not found", code="room_not_found")
    with caplog.at_level(logging.WARNING, logger="aiomongoose"):
        found, after = await anchors.read_back()
    assert [m.body for _, m in found] == ["b1"]
    assert any(HALL in r.getMessage() for r in caplog.records)
    anchors.take(after)
    rooms.calls.clear()
    await anchors.read_back()
    assert [room for room, _ in rooms.calls] == [TEA]


async def test_the_start_anchors_each_room_of_the_caller_at_its_newest_message():
    rooms = Rooms({TEA: [record(TEA, n) for n in range(3)], HALL: []})
    listed: list[str] = [TEA, HALL]

    async def list_rooms() -> list[str]:
        return listed

    anchors = RoomAnchors(BOT, rooms.read, list_rooms)
    await anchors.anchor_all()
    assert rooms.calls == [(TEA, None), (HALL, None)]
    rooms.archives[TEA].append(record(TEA, 3))
    rooms.archives[HALL].append(record(HALL, 4))
    found, _ = await anchors.read_back()
    # TEA from its newest at the start; HALL was empty then, so all it holds is new.
    assert sorted(m.archive_id for _, m in found) == ["hal4", "tea3"]


async def test_without_muc_light_the_start_reads_no_room():
    rooms = Rooms({TEA: [record(TEA, 0)]})

    async def refused() -> list[str]:
        raise FeatureDisabledError(200, "Some of the required modules are not loaded")

    anchors = RoomAnchors(BOT, rooms.read, refused)
    await anchors.anchor_all()
    assert rooms.calls == [] and (await anchors.read_back())[0] == []

    async def failing() -> list[str]:
        raise ServerError(500, "boom")

    with pytest.raises(ServerError):
        await RoomAnchors(BOT, rooms.read, failing).anchor_all()
