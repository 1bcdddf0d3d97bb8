"""``aiomongoose listen``'s output line for one message."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from aiomongoose import IncomingMessage
from aiomongoose.cli.listen import message_line

AT = datetime(2026, 12, 7, 5, 0, 0, 123456, tzinfo=timezone.utc)


def test_a_direct_message_line():
    message = IncomingMessage("alice@example.com/phone", "bot@example.com", "chat", "m1",
                              "hi", "<message/>", AT, "A1")  # fmt: skip
    assert json.loads(message_line(message)) == {
        "sender": "alice@example.com/phone",
        "to": "bot@example.com",
        "type": "chat",
        "message_id": "m1",
        "body": "hi",
        "received_at": "2026-12-07T05:00:00.123456Z",
        "archive_id": "A1",
    }


def test_a_room_message_line_names_the_room_and_the_author():
    message = IncomingMessage("tea@muclight.example.com/alice@example.com", "bot@example.com",
                              "groupchat", "m2", "hi all", "<message/>", AT, "R1")  # fmt: skip
    line = json.loads(message_line(message))
    assert (line["room"], line["author"], line["archive_id"]) == (
        "tea@muclight.example.com",
        "alice@example.com",
        "R1",
    )
    assert message_line(message).endswith(b"}\n")
