"""Every Python example of the documentation (docs/**/*.rst) runs as written.

Each ``.. code-block:: python`` of the docs must be marked ``:class: runnable`` and named
(``:name: example-...``), and so must the console examples that are run here; a scenario
below gives each one a fake server in the state the prose describes and checks what it
printed. Only the URLs of MongooseIM's default listeners are swapped for the fake's.

- A script runs unchanged in a worker thread (its own ``asyncio.run``) while the
  ``FakeMongooseIM`` serves from the test's loop.
- A test module (``kind="pytest"``) runs under pytest in a subprocess, as in a project of
  one's own: the ``mongooseim`` fixture comes from the installed plugin.
- A console session runs its ``$ aiomongoose ...`` lines through the CLI's ``main()`` (in a
  thread, as the shell would run them one after the other) and its ``$ export`` lines set
  the environment.
- The echo bot runs forever: its own test starts it, talks to it and cancels it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from aiomongoose import AdminClient
from aiomongoose.cli import main
from aiomongoose.testing import FakeMongooseIM

DOCS = Path(__file__).resolve().parents[2] / "docs"
# MongooseIM's default listeners: REST admin on 8088, GraphQL admin on 5551.
DEFAULT_URLS = ("http://localhost:8088/api", "http://localhost:5551/api")

ALICE, RABBIT, BOT = "alice@wonderland.lit", "rabbit@wonderland.lit", "bot@wonderland.lit"
ROOM = "tea@muclight.wonderland.lit"
PARTY, COURT = "tea-party@muclight.wonderland.lit", "court@conference.wonderland.lit"
T0 = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z, in microseconds

_BLOCK = re.compile(
    r"^\.\. code-block:: (python|console)\n((?:   :[\w-]+:.*\n)*)\n((?:(?:   .*)?\n)+)",
    re.MULTILINE,
)


@attrs.frozen
class Example:
    name: str
    language: str
    options: dict[str, str]
    code: str
    where: str

    @property
    def runnable(self) -> bool:
        return self.options.get("class") == "runnable"


def doc_examples() -> dict[str, Example]:
    """The Python and console blocks of every page, by name (or by place, unnamed)."""
    examples: dict[str, Example] = {}
    for path in sorted(DOCS.rglob("*.rst")):
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            language, option_lines, body = match.groups()
            options = dict(
                re.match(r"   :([\w-]+):\s*(.*)", line).groups()  # type: ignore[union-attr]
                for line in option_lines.splitlines()
            )
            code = "\n".join(line[3:] for line in body.splitlines()).strip() + "\n"
            where = f"{path.relative_to(DOCS)}:{text[: match.start()].count(chr(10)) + 1}"
            name = options.get("name", where)
            assert name not in examples, f"two examples named {name}"
            examples[name] = Example(name, language, options, code, where)
    return examples


def with_urls(code: str, urls: dict[str, str]) -> str:
    for default, url in urls.items():
        code = code.replace(default, url)
    return code


# --- the fake server's state for each example, and what the example must print ------------


def seed_conversation(server: FakeMongooseIM) -> None:
    server.add_user(ALICE)
    server.add_user(RABBIT)
    server.add_message(RABBIT, ALICE, at_us=T0, body="Yo")


def seed_archive(count: int, step_us: int) -> Callable[[FakeMongooseIM], None]:
    def seed(server: FakeMongooseIM) -> None:
        server.add_user(ALICE)
        server.add_user(RABBIT)
        for i in range(count):
            sender, recipient = (RABBIT, ALICE) if i % 2 else (ALICE, RABBIT)
            server.add_message(sender, recipient, at_us=T0 + i * step_us, body=f"message {i}")

    return seed


def seed_flaky(server: FakeMongooseIM) -> None:
    seed_conversation(server)
    server.fail_next(2, status=503)


def check_first_script(runs: list[str], server: FakeMongooseIM) -> None:
    lines = runs[0].splitlines()
    # recent(): two messages oldest first; history(): the same two, newest first
    assert lines[0].endswith(f"{RABBIT} Yo")
    assert lines[1].endswith(f"{ALICE} Hi")
    assert lines[2].endswith(" Hi") and lines[3] == "1700000000 Yo"
    assert len(lines) == 4


def check_history_resume(runs: list[str], server: FakeMongooseIM) -> None:
    first = runs[0].splitlines()
    assert len(first) == 121 and first[-1] == "3 requests", first[-3:]
    # the newest page first, each page oldest first
    assert first[0] == f"1700000070 {ALICE} message 70"
    assert first[49] == f"1700000119 {RABBIT} message 119"
    assert sorted(first[:-1]) == sorted(set(first[:-1]))  # no message twice
    assert runs[1] == "0 requests\n"  # resumed at the end: nothing is read twice


def check_history_stall(runs: list[str], server: FakeMongooseIM) -> None:
    assert runs[0].splitlines() == [
        f"stuck after 50 messages at 1700000000 in {ALICE}'s archive",
        "50 messages with on_stall='skip', 1 stall",
    ]


def check_export_api(runs: list[str], server: FakeMongooseIM) -> None:
    # 120 messages between two users: each is in both archives
    assert runs == ["240 messages of 2 owners, ok: True\n"] * 2  # resume=True, no checkpoint
    lines = Path("wonderland.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 240
    assert {json.loads(line)["owner"] for line in lines} == {ALICE, RABBIT}


def check_export_cli(runs: list[str], server: FakeMongooseIM) -> None:
    (out,) = runs
    lines = Path("all.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 240 and not Path("all.jsonl.checkpoint.json").exists()
    rows = out.splitlines()  # the CSV of the third command, oldest first
    assert rows[0] == "owner,with,sender,timestamp,message_id,body" and len(rows) == 121
    assert rows[1].startswith(f"{ALICE},{RABBIT},{ALICE},1700000000,")
    assert rows[-1].endswith(",message 119")


def check_graphql(runs: list[str], server: FakeMongooseIM) -> None:
    assert runs == ["True True\n"]


def check_auto(runs: list[str], server: FakeMongooseIM) -> None:
    first, second = runs[0].splitlines()
    assert first.endswith(f" rest ['{ALICE}', '{RABBIT}']")
    assert second.endswith(f" graphql ['{ALICE}', '{RABBIT}']")


def check_reliability(runs: list[str], server: FakeMongooseIM) -> None:
    assert runs == ["1 messages after 2 retries\n"]


def check_errors(runs: list[str], server: FakeMongooseIM) -> None:
    assert runs[0].splitlines() == [
        "400 User does not exist",
        "Domain does not exist",
        "InvalidJIDError True",
        "alice's archive is readable",
    ]


def seed_rooms(server: FakeMongooseIM) -> None:
    server.add_user(ALICE)
    server.add_user(RABBIT)
    server.add_room(PARTY, members=[ALICE, RABBIT])
    server.add_room(COURT, kind="muc")
    server.enter_room(COURT, f"{ALICE}/phone", "Alice")
    server.add_room_message(PARTY, ALICE, at_us=T0, body="Hello?")


def check_rooms(runs: list[str], server: FakeMongooseIM) -> None:
    assert runs[0].splitlines() == [
        f"{ALICE} Who's for tea?",
        f"{ALICE} Hello?",
        f"['{PARTY}']",
    ]
    assert server.room_archive_of(PARTY)[-1].body == "Who's for tea?"
    # the court is a MUC room: MAM archives MUC Light rooms here, so it keeps nothing
    assert server.room_archive_of(COURT) == []


def check_export_rooms_cli(runs: list[str], server: FakeMongooseIM) -> None:
    # Each source lands in one shard of four; this is shard 2's file, and no checkpoint
    # is left once every source of the shard is done.
    assert Path("all.shard-2-of-4.jsonl").is_file()
    assert not Path("all.shard-2-of-4.jsonl.checkpoint.json").exists()


def check_pytest(runs: list[str], server: FakeMongooseIM) -> None:
    assert re.search(r"^1 passed", runs[0], re.MULTILINE), runs[0]


def no_seed(server: FakeMongooseIM) -> None:
    pass


@attrs.frozen
class Scenario:
    seed: Callable[[FakeMongooseIM], None]
    check: Callable[[list[str], FakeMongooseIM], None]
    runs: int = 1
    kind: str = "script"  # or "pytest", "console"
    # the fake's version behind each default URL; one server when both are the same
    versions: tuple[str, str] = ("6.5", "6.5")
    options: dict[str, Any] = attrs.field(factory=dict)  # more FakeMongooseIM arguments


SCENARIOS: dict[str, Scenario] = {
    "example-first-script": Scenario(seed_conversation, check_first_script),
    "example-history-resume": Scenario(seed_archive(120, 1_000_000), check_history_resume, runs=2),
    "example-history-stall": Scenario(seed_archive(120, 1_000), check_history_stall),
    "example-export-cli": Scenario(seed_archive(120, 1_000_000), check_export_cli, kind="console"),
    "example-export-api": Scenario(seed_archive(120, 1_000_000), check_export_api, runs=2),
    "example-graphql": Scenario(seed_conversation, check_graphql),
    "example-auto": Scenario(seed_conversation, check_auto, versions=("3.7", "6.6")),
    "example-reliability": Scenario(seed_flaky, check_reliability),
    "example-errors": Scenario(seed_conversation, check_errors),
    "example-rooms": Scenario(seed_rooms, check_rooms, options={"archived_rooms": "muc_light"}),
    "example-export-rooms-cli": Scenario(
        seed_rooms, check_export_rooms_cli, kind="console", options={"archived_rooms": "muc_light"}
    ),
    "example-testing-fake-server": Scenario(no_seed, check_pytest, kind="pytest"),
    "example-testing-fixture": Scenario(no_seed, check_pytest, kind="pytest"),
    "example-testing-live": Scenario(no_seed, check_pytest, kind="pytest"),
    "example-testing-faults": Scenario(no_seed, check_pytest, kind="pytest"),
}

# Examples with a test of their own below.
SPECIAL = {"example-echo-bot"}


def test_every_example_is_runnable_and_run() -> None:
    examples = doc_examples()
    for example in examples.values():
        if example.language == "python":
            assert example.runnable, f"{example.where}: mark it :class: runnable"
        if example.runnable:
            assert example.name.startswith("example-"), f"{example.where}: name it example-..."
    runnable = {name for name, example in examples.items() if example.runnable}
    assert runnable == set(SCENARIOS) | SPECIAL


def run_script(code: str) -> str:
    """Run ``code`` as ``python -c`` would (its own event loop), return what it printed."""
    out = io.StringIO()
    namespace: dict[str, Any] = {"__name__": "__main__"}
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<docs example>", "exec"), namespace)
    return out.getvalue()


def run_pytest(code: str, where: Path) -> str:
    """Run ``code`` as a test module of a project of one's own; return pytest's report."""
    (where / "test_example.py").write_text(code, encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"]
    command += ["-W", "error", "test_example.py"]
    done = subprocess.run(command, cwd=where, capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr


def shell_lines(code: str) -> list[list[str]]:
    """The commands of a console session: ``$`` lines with their continuations, split."""
    commands: list[str] = []
    for line in code.splitlines():
        if line.startswith("$ "):
            commands.append(line[2:])
        else:
            assert commands and commands[-1].endswith("\\"), line
            commands[-1] = commands[-1][:-1] + " " + line.strip()
    return [shlex.split(command, comments=True) for command in commands]


def run_console(code: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the session's commands in order; return what they wrote to stdout."""
    out = io.BytesIO()
    for argv in shell_lines(code):
        if argv[0] == "export":
            name, value = argv[1].split("=", 1)
            monkeypatch.setenv(name, value)
            continue
        assert argv[0] == "aiomongoose", argv
        err = io.StringIO()
        status = main(argv[1:], stdout=out, stderr=err)
        assert status == 0, (argv, err.getvalue())
    return out.getvalue().decode()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_doc_example_runs(name: str, tmp_path: Path, monkeypatch) -> None:
    example, scenario = doc_examples()[name], SCENARIOS[name]
    monkeypatch.chdir(tmp_path)  # files an example writes land here
    async with contextlib.AsyncExitStack() as stack:
        urls: dict[str, str] = {}
        servers: dict[str, FakeMongooseIM] = {}
        for default, version in zip(DEFAULT_URLS, scenario.versions, strict=True):
            if version not in servers:
                server = FakeMongooseIM(
                    auth=("admin", "secret"), version=version, **scenario.options
                )
                servers[version] = await stack.enter_async_context(server)
                scenario.seed(servers[version])
            urls[default] = servers[version].url
        code = with_urls(example.code, urls)
        runs = []
        for _ in range(scenario.runs):
            if scenario.kind == "pytest":
                runs.append(await asyncio.to_thread(run_pytest, code, tmp_path))
            elif scenario.kind == "console":
                runs.append(await asyncio.to_thread(run_console, code, monkeypatch))
            else:
                runs.append(await asyncio.to_thread(run_script, code))
        scenario.check(runs, servers[scenario.versions[-1]])


async def test_echo_bot_answers_over_the_fake_server() -> None:
    example = doc_examples()["example-echo-bot"]
    assert len(example.code.strip().splitlines()) <= 20
    for version in ("3.7", "6.5"):  # REST polling, then GraphQL's event stream
        async with FakeMongooseIM(auth=("admin", "secret"), version=version) as server:
            server.add_user(BOT)
            server.add_user(ALICE)
            namespace: dict[str, object] = {}
            exec(example.code.replace("asyncio.run(echo_bot(", "(("), namespace)
            task = asyncio.ensure_future(namespace["echo_bot"](server.url, BOT))  # type: ignore[operator]
            try:
                if version == "6.5":
                    await server.wait_for_sse_sessions(1, BOT)
                else:
                    await asyncio.sleep(0.3)  # its first poll has read the archive
                server.route_message(ALICE, BOT, body="ping")
                for _ in range(300):
                    echoed = [m for m in server.archive_of(ALICE) if m.sender == BOT]
                    if echoed:
                        break
                    await asyncio.sleep(0.02)
                assert [m.body for m in echoed] == ["ping"], version
                if version == "6.5":  # in a room: the answer goes to the room, once
                    server.archived_rooms = "muc_light"
                    server.add_room(ROOM, members=[ALICE, BOT])
                    async with AdminClient(server.url, auth=("admin", "secret")) as client:
                        await client.rooms.send(ROOM, ALICE, "pong?")
                    for _ in range(300):
                        answers = [m.body for m in server.room_archive_of(ROOM)]
                        if len(answers) == 2:
                            break
                        await asyncio.sleep(0.02)
                    await asyncio.sleep(0.1)  # the bot's own echo must not be answered
                    assert [m.body for m in server.room_archive_of(ROOM)] == ["pong?", "pong?"]
                    assert server.room_archive_of(ROOM)[1].sender == f"{ROOM}/{BOT}"
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
