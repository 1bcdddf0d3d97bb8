"""``aiomongoose listen JID``: print the messages routed to JID as JSON lines, as they come.

Runs until Ctrl-C or SIGTERM (exit 0). Reconnections are announced on stderr, one line
each; the subscription itself fills their gaps from the archive (see
:meth:`aiomongoose.messages.Messages.subscribe`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from typing import BinaryIO, Literal, TextIO

from ..client import AdminClient, Auth
from ..errors import InvalidArgumentError, MongooseIMError
from ..models import IncomingMessage

__all__ = ["message_line", "run_listen"]

EXIT_OK, EXIT_FAILED = 0, 1


def message_line(message: IncomingMessage) -> bytes:
    """One JSON line: the message's fields, ``received_at`` in ISO 8601 (UTC); a room
    message adds ``room`` and ``author``."""
    data: dict[str, str | None] = {
        "sender": message.sender,
        "to": message.to,
        "type": message.type,
        "message_id": message.message_id,
        "body": message.body,
        "received_at": message.received_at.isoformat(timespec="microseconds").replace(
            "+00:00", "Z"
        ),
        "archive_id": message.archive_id,
    }
    if message.room is not None:
        data["room"], data["author"] = message.room, message.author
    return json.dumps(data, ensure_ascii=False).encode() + b"\n"


async def run_listen(
    url: str,
    jid: str,
    *,
    auth: Auth,
    api: Literal["rest", "graphql", "auto"],
    host_header: str | None,
    poll_interval: float,
    stdout: BinaryIO,
    stderr: TextIO,
) -> int:
    """Listen until cancelled or SIGTERM; the exit status."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows / threads
        assert task is not None
        loop.add_signal_handler(signal.SIGTERM, task.cancel)

    def announce(count: int, reason: str) -> None:
        stderr.write(f"aiomongoose: reconnecting ({count}): {reason}\n")
        stderr.flush()

    try:
        async with AdminClient(url, auth=auth, api=api, host_header=host_header) as client:
            subscription = client.messages.subscribe(
                jid, poll_interval=poll_interval, on_reconnect=announce
            )
            async with subscription as incoming:
                async for message in incoming:
                    stdout.write(message_line(message))
                    stdout.flush()
    except asyncio.CancelledError:
        return EXIT_OK  # SIGTERM (or Ctrl-C in asyncio.run)
    except InvalidArgumentError:
        raise  # a malformed --url: a usage error (exit 2)
    except MongooseIMError as exc:
        stderr.write(f"aiomongoose: {type(exc).__name__}: {exc}\n")
        return EXIT_FAILED
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)
    return EXIT_OK
