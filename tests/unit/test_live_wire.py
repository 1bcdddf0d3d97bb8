"""The pure parts of live messages: the SSE decoder, one event, the subscription's query."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiomongoose import ApiError, BadRequestError, IncomingMessage, ProtocolError
from aiomongoose._stanza import message_fields
from aiomongoose._time import (
    format_datetime_us,
    from_microseconds,
    parse_datetime,
    parse_datetime_us,
)
from aiomongoose.messages.sse import (
    MAX_EVENT_BYTES,
    SUBSCRIBE,
    EventDecoder,
    parse_event,
    subscribe_query,
)

BOT = "bot@example.com"
URL = "http://localhost:5551/api/graphql/sse"


def event(
    stanza: str, *, sender: str = "alice@example.com/phone", ts: str = "2026-12-07T05:00:00.123456Z"
) -> bytes:
    data = {"data": {"stanza": {"subscribeForMessages": {
        "sender": sender, "timestamp": ts, "stanza_id": "", "stanza": stanza}}}}  # fmt: skip
    return json.dumps(data).encode()


def test_query_string_carries_document_variables_and_operation():
    assert subscribe_query(BOT) == {
        "query": SUBSCRIBE,
        "variables": '{"caller":"bot@example.com"}',
        "operationName": "Incoming",
    }
    assert SUBSCRIBE.startswith("subscription Incoming($caller: JID!)")


def test_decoder_splits_events_across_any_chunking():
    stream = b"id: 1\ndata: one\n\nid: 2\r\ndata: two\r\n\r\n: comment\n\nid: 3\ndata:three\n\n"
    for size in (1, 2, 3, 7, len(stream)):
        decoder = EventDecoder()
        got = []
        for i in range(0, len(stream), size):
            got += decoder.feed(stream[i : i + size])
        assert got == [b"one", b"two", b"three"], size


def test_decoder_joins_multiline_data_and_holds_a_partial_event():
    decoder = EventDecoder()
    assert decoder.feed(b"data: a\ndata: b\n") == []
    assert decoder.feed(b"\n") == [b"a\nb"]


def test_decoder_refuses_an_unbounded_event():
    decoder = EventDecoder()
    with pytest.raises(ProtocolError, match="exceeds"):
        decoder.feed(b"data: " + b"x" * (MAX_EVENT_BYTES + 1))


def test_an_event_becomes_an_incoming_message():
    stanza = (
        "<message from='alice@example.com/phone' id='m1' to='bot@example.com' type='chat'>"
        "<body>hi</body><stanza-id by='bot@example.com' id='ARCH1' xmlns='urn:xmpp:sid:0'/>"
        "</message>"
    )
    message = parse_event(event(stanza), BOT, url=URL)
    assert message == IncomingMessage(
        sender="alice@example.com/phone",
        to="bot@example.com",
        type="chat",
        message_id="m1",
        body="hi",
        stanza=stanza,
        received_at=datetime(2026, 12, 7, 5, 0, 0, 123456, tzinfo=timezone.utc),
        archive_id="ARCH1",
    )


def test_absent_type_id_body_and_another_archives_stanza_id():
    stanza = (
        "<message to='bot@example.com/sse-1'>"
        "<stanza-id by='alice@example.com' id='THEIRS' xmlns='urn:xmpp:sid:0'/></message>"
    )
    message = parse_event(event(stanza), "bot@example.com/sse-1", url=URL)
    assert (message.type, message.message_id, message.body, message.archive_id) == (
        "normal",
        "",
        None,
        None,
    )


def test_a_room_message_names_the_room_archives_id_and_splits_its_sender():
    room, author = "tea@muclight.example.com", "alice@example.com"
    stanza = (
        f"<message from='{room}/{author}' id='m2' to='bot@example.com' type='groupchat'>"
        "<body>hi all</body><stanza-id by='bot@example.com' id='NOT-THIS' xmlns='urn:xmpp:sid:0'/>"
        f"<stanza-id by='{room}' id='ROOM1' xmlns='urn:xmpp:sid:0'/></message>"
    )
    message = parse_event(event(stanza, sender=f"{room}/{author}"), BOT, url=URL)
    assert (message.type, message.archive_id, message.room, message.author) == (
        "groupchat",
        "ROOM1",
        room,
        author,
    )
    # A MUC nick may hold "/" and "@": the sender splits on the first "/".
    muc = IncomingMessage(
        sender="hall@conference.example.com/a/b@c",
        to=BOT,
        type="groupchat",
        message_id="",
        body="x",
        stanza="",
        received_at=datetime(2026, 12, 7, tzinfo=timezone.utc),
    )
    assert (muc.room, muc.author) == ("hall@conference.example.com", "a/b@c")
    direct = parse_event(event("<message type='chat'/>"), BOT, url=URL)
    assert (direct.room, direct.author) == (None, None)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"not json", ProtocolError),
        (b'{"data": {}}', ProtocolError),
        (b'{"data": {"stanza": {"subscribeForMessages": null}}}', ProtocolError),
        (event("<iq/>"), ProtocolError),
        (event("<message>", sender="x"), ProtocolError),
        (event("<message/>", ts="yesterday"), ProtocolError),
        (
            b'{"errors": [{"message": "User does not exist", "extensions": '
            b'{"code": "unknown_user"}}]}',
            BadRequestError,
        ),  # fmt: skip
        (b'{"errors": [{"message": "boom", "extensions": {"code": "internal"}}]}', ApiError),
    ],
)
def test_malformed_events_raise(data, error):
    with pytest.raises(error):
        parse_event(data, BOT, url=URL)


def test_message_fields_reads_every_stanza_id():
    fields = message_fields(
        "<message id='x' type='headline' from='a@b/c' to='d@e'>"
        "<stanza-id xmlns='urn:xmpp:sid:0' by='d@e' id='1'/>"
        "<stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.e' id='2'/></message>"
    )
    assert (fields.id, fields.type, fields.from_, fields.to, fields.body) == (
        "x",
        "headline",
        "a@b/c",
        "d@e",
        None,
    )
    assert fields.stanza_ids == {"d@e": "1", "room@muc.e": "2"}


@settings(max_examples=500)
@given(st.integers(0, 253_402_300_799_999_999))
def test_the_fast_date_time_path_agrees_with_the_general_parser(time_us):
    text = format_datetime_us(time_us)
    assert parse_datetime(text) == from_microseconds(parse_datetime_us(text))


@pytest.mark.parametrize(
    "text",
    ["2026-02-30T05:00:00.123456Z", "2026-12-07T05:00: 0.123456Z", "2026-12-07T05:00:00Z",
     "2026-12-07T05:00:00.123+02:00", "+026-12-07T05:00:00.123456Z"],
)  # fmt: skip
def test_other_forms_take_the_general_parser(text):
    try:
        expected = from_microseconds(parse_datetime_us(text))
    except ValueError:
        with pytest.raises(ValueError):
            parse_datetime(text)
    else:
        assert parse_datetime(text) == expected
