"""Run the fake MongooseIM admin server (REST and/or GraphQL) standalone.

``python -m aiomongoose.testing --port 8088 [--host 127.0.0.1] [--users N --messages M
--seed S] [--auth user:password] [--max-result-limit 50] [--version 6.5]
[--match-host localhost]``

The first line printed is the base URL (with the real port when ``--port 0``), then the
users' JIDs; it serves until Ctrl-C or SIGTERM. GraphQL (``--version`` 6.5 or 6.6) is at the
base URL plus ``/graphql``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from ._generate import generate_archive
from ._versions import SUPPORTED_VERSIONS
from .fake_server import FakeMongooseIM


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aiomongoose.testing",
        description="Serve a fake MongooseIM admin API (REST under the base URL, GraphQL at "
        "BASE/graphql) with a generated archive.",
    )
    parser.add_argument("--port", type=int, default=8088, help="TCP port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--users", type=int, default=20, help="users to generate")
    parser.add_argument(
        "--messages", type=int, default=100_000, help="messages to generate (0: none)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated archive")
    parser.add_argument("--domain", default="wonderland.lit", help="domain of the users")
    parser.add_argument("--auth", metavar="USER:PASSWORD", help="require HTTP Basic auth")
    parser.add_argument("--max-result-limit", type=int, default=50, help="6.x cap on limit")
    parser.add_argument(
        "--version",
        choices=SUPPORTED_VERSIONS,
        default="6.5",
        help="6.6: GraphQL only; 6.5: REST and GraphQL; 3.7: REST only",
    )
    parser.add_argument(
        "--match-host", metavar="HOST", help="answer an empty 400 unless Host is HOST"
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    auth = None
    if args.auth is not None:
        user, _, password = args.auth.partition(":")
        auth = (user, password)
    server = FakeMongooseIM(
        max_result_limit=args.max_result_limit,
        auth=auth,
        version=args.version,
        host=args.match_host,
        listen_host=args.host,
        port=args.port,
    )
    users: list[str] = []
    if args.users > 0 and args.messages > 0:
        users = generate_archive(server, args.users, args.messages, args.seed, args.domain)
    async with server:
        print(server.url, flush=True)  # noqa: T201  (the first line: tests read it)
        for jid in users:
            print(f"  {jid}: {len(server.archive_of(jid))} messages")  # noqa: T201
        print("Serving; press Ctrl-C to stop.", flush=True)  # noqa: T201
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            # Not on Windows, where Ctrl-C still ends asyncio.run with KeyboardInterrupt.
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and serve until interrupted; returns the exit status."""
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
