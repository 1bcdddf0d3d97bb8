"""The README's example runs as written against the fake server."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from aiomongoose.testing import FakeMongooseIM

README = Path(__file__).resolve().parents[2] / "README.rst"


def first_python_block() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    assert match is not None
    return "\n".join(line[4:] for line in match.group(1).splitlines())


async def test_readme_example_runs_against_the_fake_server(capsys):
    code = first_python_block()
    assert "asyncio.run(main())" in code
    async with FakeMongooseIM(auth=("admin", "secret")) as server:
        server.add_user("alice@wonderland.lit")
        server.add_user("rabbit@wonderland.lit")
        server.add_message(
            "rabbit@wonderland.lit", "alice@wonderland.lit", at_us=1_700_000_000_000_000, body="Yo"
        )
        namespace: dict[str, object] = {}
        exec(
            code.replace("http://localhost:8088/api", server.url).replace(
                "asyncio.run(main())", ""
            ),
            namespace,
        )
        await namespace["main"]()  # type: ignore[operator]
    lines = capsys.readouterr().out.splitlines()
    # recent(): two messages oldest first; history(): the same two, newest first
    assert lines[0].endswith("rabbit@wonderland.lit Yo")
    assert lines[1].endswith("alice@wonderland.lit Hi")
    assert lines[2].endswith(" Hi") and lines[3] == "1700000000 Yo"
    assert len(lines) == 4


def echo_bot_block() -> str:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    (block,) = [b for b in blocks if "# echo bot" in b]
    return "\n".join(line[4:] for line in block.splitlines())


async def test_readme_echo_bot_answers_over_the_fake_server() -> None:
    code = echo_bot_block()
    assert len(code.strip().splitlines()) <= 20
    bot, alice = "bot@wonderland.lit", "alice@wonderland.lit"
    for version in ("3.7", "6.5"):  # REST polling, then GraphQL's event stream
        async with FakeMongooseIM(auth=("admin", "secret"), version=version) as server:
            server.add_user(bot)
            server.add_user(alice)
            namespace: dict[str, object] = {}
            exec(code.replace("asyncio.run(echo_bot(", "(("), namespace)
            task = asyncio.ensure_future(namespace["echo_bot"](server.url, bot))  # type: ignore[operator]
            try:
                if version == "6.5":
                    await server.wait_for_sse_sessions(1, bot)
                else:
                    await asyncio.sleep(0.3)  # its first poll has read the archive
                server.route_message(alice, bot, body="ping")
                for _ in range(300):
                    echoed = [m for m in server.archive_of(alice) if m.sender == bot]
                    if echoed:
                        break
                    await asyncio.sleep(0.02)
                assert [m.body for m in echoed] == ["ping"], version
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)


def rooms_block() -> str:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    (block,) = [b for b in blocks if "# rooms" in b]
    return "\n".join(line[4:] for line in block.splitlines())


async def test_readme_rooms_example_runs_against_the_fake_server(capsys) -> None:
    code = rooms_block()
    alice, party, court = (
        "alice@wonderland.lit",
        "tea-party@muclight.wonderland.lit",
        "court@conference.wonderland.lit",
    )
    async with FakeMongooseIM(auth=("admin", "secret"), archived_rooms="muc_light") as server:
        server.add_user(alice)
        server.add_room(party, members=[alice])
        server.add_room(court, kind="muc")
        server.enter_room(court, f"{alice}/phone", "Alice")
        server.add_room_message(party, alice, at_us=1_700_000_000_000_000, body="Hello?")
        namespace: dict[str, object] = {}
        exec(
            code.replace("http://localhost:5551/api", server.url).replace(
                "asyncio.run(main())", ""
            ),
            namespace,
        )
        await namespace["main"]()  # type: ignore[operator]
        assert server.room_archive_of(party)[-1].body == "Who's for tea?"
    # the court is a MUC room: MAM archives MUC Light rooms here, so it keeps nothing
    assert server.room_archive_of(court) == []
    assert capsys.readouterr().out.splitlines() == [
        f"{alice} Who's for tea?",
        f"{alice} Hello?",
        f"['{party}']",
    ]
