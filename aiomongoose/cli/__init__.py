"""The ``aiomongoose`` command (also ``python -m aiomongoose``): ``export``, ``listen``, ``demo``.

Argument parsing and wiring only; the work is in :mod:`aiomongoose.export`. Exit status: 0
done, 1 some owners failed, 2 usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import io
import math
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import BinaryIO, NoReturn, TextIO

from ..errors import InvalidArgumentError, InvalidJIDError
from ..export import ExportOptions
from ..jid import validate_domain, validate_jid
from ._rooms_args import add_room_arguments, room_sources
from .demo import run_demo
from .export import EXIT_USAGE, ExportJob, run_export, shard_output
from .listen import run_listen

__all__ = ["main"]

_EXAMPLE = "aiomongoose export --domain wonderland.lit --url http://localhost:8088/api -o all.jsonl"


class _UsageError(Exception):
    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser


_NO_PASSWORD_OPTION = (
    "there is no {} option: a password is never taken on the command line (it would show "
    "in the process list and the shell's history); set $MONGOOSEIM_PASSWORD (or name "
    "another variable with --password-env), or answer the prompt"
)
# Options that look like a password: refused before argparse, which would echo their value.
_PASSWORD_OPTIONS = frozenset(
    ("p", "pw", "pwd", "pass", "passwd", "password", "passphrase", "secret")
)


def _password_option(argv: Sequence[str]) -> str | None:
    """The first argument that gives a password as an option (``--passwd X``, ``--pw=X``,
    ``-pX``...), shown without its value; ``None`` when there is none."""
    for arg in argv:
        if arg == "--":
            break  # the rest are operands
        if not arg.startswith("-") or arg == "-":
            continue
        name = arg.partition("=")[0]
        if name.lstrip("-").lower() in _PASSWORD_OPTIONS:
            return name
        if not arg.startswith("--") and arg[1:2] == "p":  # -pSECRET
            return "-p"
    return None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments") and "--password" in message:
            # Never echo what is probably a password back to the terminal or a log.
            message = _NO_PASSWORD_OPTION.format("--password")
        raise _UsageError(self, message)


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}")
    return int(text)


def _when(text: str) -> int:
    """Unix seconds, or an ISO 8601 date-time with a UTC offset (floored to the second)."""
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected Unix seconds or an ISO 8601 date-time, not {text!r}"
        ) from None
    if moment.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (add Z or +HH:MM)")
    return math.floor(moment.timestamp())


def _parser() -> _Parser:
    # No abbreviations: "--password x" must not be read as "--password-env x".
    parser = _Parser(
        prog="aiomongoose", description="MongooseIM admin API tools.", allow_abbrev=False
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ex = commands.add_parser(
        "export",
        allow_abbrev=False,
        help="export message archives (JSON Lines or CSV), resumable",
        description="Export the message archives of OWNERs (or every user of --domain) "
        "and of rooms (--room, --rooms-of, --muc-domain); the sources combine.",
        epilog=f"example: {_EXAMPLE}",
    )
    ex.add_argument("owners", nargs="*", metavar="OWNER", help="JID whose archive to export")
    ex.add_argument("--domain", help="export every user of DOMAIN (GET /users/DOMAIN)")
    add_room_arguments(ex)
    _connection_arguments(ex, default_api=None)
    ex.add_argument("--with", dest="with_", metavar="JID", help="only the conversation with JID")
    ex.add_argument("--before", type=_when, metavar="WHEN", help="Unix seconds or ISO 8601")
    ex.add_argument("--page-size", type=_count, metavar="N", help="messages per request")
    ex.add_argument("--concurrency", type=_count, default=4, metavar="N", help="default 4")
    ex.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    ex.add_argument("-o", "--output", default="-", metavar="PATH", help="file, or - (stdout)")
    ex.add_argument("--resume", action="store_true", help="continue from PATH.checkpoint.json")
    ex.add_argument("--chronological", action="store_true", help="oldest first per owner")
    ex.add_argument("--on-stall", choices=["raise", "skip"], default="raise")
    ex.add_argument("--quiet", action="store_true", help="no progress and no summary")
    listen = commands.add_parser(
        "listen",
        allow_abbrev=False,
        help="print the messages routed to JID as JSON lines, as they arrive",
        description="Print incoming messages of JID until Ctrl-C or SIGTERM, reconnecting.",
    )
    listen.add_argument("jid", metavar="JID", help="the user to listen as")
    _connection_arguments(listen, default_api="auto")
    listen.add_argument(
        "--poll-interval", type=float, default=1.0, metavar="S", help="REST polling period"
    )
    demo = commands.add_parser(
        "demo",
        allow_abbrev=False,
        help="export a generated archive from the embedded fake server and verify it",
        description="Serve a generated archive, export it with --domain, verify the output.",
    )
    demo.add_argument("--messages", type=_count, default=100_000, metavar="N")
    demo.add_argument("--users", type=_count, default=20, metavar="N")
    demo.add_argument("--seed", type=int, default=0, metavar="S")
    demo.add_argument("--quiet", action="store_true", help="only the verification line")
    demo.add_argument("--keep", metavar="PATH", help="keep the export at PATH")
    demo.add_argument("--api", choices=["rest", "graphql"], default="rest", help="API to use")
    return parser


def _connection_arguments(sub: argparse.ArgumentParser, *, default_api: str | None) -> None:
    sub.add_argument("--url", default=os.environ.get("MONGOOSEIM_URL"), help="API root URL")
    shown = default_api or "rest, or graphql when rooms are exported"
    sub.add_argument(
        "--api",
        choices=["rest", "graphql", "auto"],
        default=default_api,
        help=f"REST (MongooseIM 3.x-6.5), GraphQL (6.0+, URL without /graphql) or auto "
        f"(default {shown})",
    )
    sub.add_argument("--user", help="HTTP Basic user (password from --password-env or a prompt)")
    sub.add_argument("--password-env", default="MONGOOSEIM_PASSWORD", metavar="VAR")
    sub.add_argument("--host-header", metavar="HOST", help="send this Host header")


def _auth(args: argparse.Namespace, parser: _Parser) -> tuple[str, str] | None:
    if args.user is None:
        return None
    password = os.environ.get(args.password_env)
    if password is None:
        if not sys.stdin.isatty():
            parser.error(f"--user needs a password: set ${args.password_env} (no terminal)")
        password = getpass.getpass(f"Password for {args.user}: ")
    return args.user, password


def _export_job(args: argparse.Namespace, parser: _Parser) -> ExportJob:
    has_rooms = bool(args.room or args.rooms_of or args.muc_domain)
    if args.owners and args.domain:
        parser.error("give OWNER JIDs or --domain DOMAIN, not both")
    if not (args.owners or args.domain or has_rooms or args.visible_to):
        parser.error(
            "give OWNER JIDs or --domain DOMAIN, and/or rooms (--room, --rooms-of, --muc-domain)"
        )
    if has_rooms and args.with_ is not None:
        parser.error("--with filters one-to-one archives: it does not go with rooms")
    if has_rooms and args.api == "rest":
        parser.error(
            "MongooseIM's REST API cannot read room archives: use --api graphql (MongooseIM 6.0+)"
        )
    api = args.api or ("graphql" if has_rooms else "rest")
    try:
        for owner in args.owners:
            validate_jid(owner, "OWNER")
        if args.domain is not None:
            validate_domain(args.domain, "--domain")
        rooms, muc_kind = room_sources(args, parser.error)
        options = ExportOptions(
            with_=args.with_,
            before=args.before,
            page_size=args.page_size,
            concurrency=args.concurrency,
            format=args.format,
            chronological=args.chronological,
            on_stall=args.on_stall,
            resume=args.resume,
            shard=args.shard,
        )
    except InvalidArgumentError as exc:
        parser.error(str(exc))
    except InvalidJIDError as exc:
        parser.error(str(exc))
    if not args.url:
        parser.error("--url is required (or set MONGOOSEIM_URL)")
    if args.resume and args.output == "-":
        parser.error("--resume needs -o PATH (a checkpoint cannot follow stdout)")
    output = None if args.output == "-" else args.output
    if output is not None and args.shard is not None:
        output = shard_output(output, args.shard)
    return ExportJob(
        url=args.url,
        owners=tuple(args.owners),
        domain=args.domain,
        output=output,
        options=options,
        auth=_auth(args, parser),
        host_header=args.host_header,
        quiet=args.quiet,
        api="graphql" if api == "graphql" else "auto" if api == "auto" else "rest",
        rooms=rooms,
        rooms_of=tuple(args.rooms_of),
        muc_domain=args.muc_domain,
        muc_kind=muc_kind,
        visible_to=args.visible_to,
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: BinaryIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    err = stderr if stderr is not None else sys.stderr
    parser = _parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        option = _password_option(arguments)
        if option is not None:
            parser.error(_NO_PASSWORD_OPTION.format(option))
        args = parser.parse_args(arguments)
        if args.command == "demo":
            return _demo(args, stdout, err)
        if args.command == "listen":
            return _listen(args, parser, stdout, err)
        job = _export_job(args, parser)
        try:
            return asyncio.run(run_export(job, stdout=stdout, stderr=err))[0]
        except InvalidArgumentError as exc:  # e.g. a malformed --url or --host-header
            parser.error(str(exc))
    except _UsageError as exc:
        err.write(exc.parser.format_usage())
        err.write(f"{exc.parser.prog}: error: {exc}\n")
        return EXIT_USAGE
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        err.write("\naiomongoose: interrupted (an export continues with --resume)\n")
        return 130


def _demo(args: argparse.Namespace, stdout: BinaryIO | None, err: TextIO) -> int:
    out = sys.stdout if stdout is None else io.TextIOWrapper(stdout, "utf-8", write_through=True)
    try:
        demo = run_demo(
            messages=args.messages,
            users=args.users,
            seed=args.seed,
            quiet=args.quiet,
            keep=args.keep,
            api=args.api,
            stdout=out,
            stderr=err,
        )
        return asyncio.run(demo)
    finally:
        if stdout is not None:
            assert isinstance(out, io.TextIOWrapper)
            out.detach()


def _listen(args: argparse.Namespace, parser: _Parser, stdout: BinaryIO | None, err: TextIO) -> int:
    try:
        validate_jid(args.jid, "JID")
    except InvalidJIDError as exc:
        parser.error(str(exc))
    if not args.url:
        parser.error("--url is required (or set MONGOOSEIM_URL)")
    if not 0 < args.poll_interval < math.inf:
        parser.error("--poll-interval must be a positive number of seconds")
    listen = run_listen(
        args.url,
        args.jid,
        auth=_auth(args, parser),
        api=args.api,
        host_header=args.host_header,
        poll_interval=args.poll_interval,
        stdout=stdout if stdout is not None else sys.stdout.buffer,
        stderr=err,
    )
    try:
        return asyncio.run(listen)
    except InvalidArgumentError as exc:  # e.g. a malformed --url
        parser.error(str(exc))
    except KeyboardInterrupt:
        return 0
