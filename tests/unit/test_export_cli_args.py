"""Usage errors of the ``aiomongoose`` command: exit status 2, before any request."""

from __future__ import annotations

import argparse
import io

import pytest

from aiomongoose.cli import _when, main

URL = "http://127.0.0.1:9/api"  # nothing listens: a usage error must come first


def run(monkeypatch, *argv: str) -> tuple[int, str]:
    monkeypatch.delenv("MONGOOSEIM_URL", raising=False)
    monkeypatch.delenv("MONGOOSEIM_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO())  # not a terminal: no password prompt
    err = io.StringIO()
    status = main(list(argv), stdout=io.BytesIO(), stderr=err)
    return status, err.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["import"], "invalid choice: 'import'"),
        (["export", "--url", URL], "give OWNER JIDs or --domain DOMAIN, and/or rooms"),
        (
            ["export", "a@x.lit", "--domain", "x.lit", "--url", URL],
            "give OWNER JIDs or --domain DOMAIN, not both",
        ),
        (["export", "--room", "r@m.x.lit/res", "--url", URL], "must be a bare room JID"),
        (["export", "--room", "m.x.lit", "--url", URL], "must be a bare room JID"),
        (["export", "--room", "r@m.x.lit", "--kind", "irc", "--url", URL], "invalid choice"),
        (["export", "--room", "r@m.x.lit", "--with", "b@x.lit", "--url", URL], "--with filters"),
        (["export", "--room", "r@m.x.lit", "--api", "rest", "--url", URL], "--api graphql"),
        (["export", "--rooms-of", "a b@x.lit", "--url", URL], "invalid JID"),
        (["export", "--muc-domain", "c.x.lit", "--url", URL], "needs --visible-to JID"),
        (
            ["export", "--muc-domain", "a@x.lit", "--visible-to", "a@x.lit", "--url", URL],
            "takes a domain",
        ),
        (["export", "a@x.lit", "--visible-to", "a@x.lit", "--url", URL], "goes with --muc-domain"),
        (
            [
                "export",
                "--muc-domain",
                "c.x.lit",
                "--visible-to",
                "a@x.lit",
                "--kind",
                "muc_light",
                "--url",
                URL,
            ],
            "does not go with --kind muc_light",
        ),
        (["export", "a@x.lit", "--shard", "0/4", "--url", URL], "expected I/N with 1 <= I <= N"),
        (["export", "a@x.lit", "--shard", "5/4", "--url", URL], "expected I/N"),
        (["export", "a@x.lit", "--shard", "2", "--url", URL], "expected I/N"),
        (["export", "a b@x.lit", "--url", URL], "invalid JID 'a b@x.lit'"),
        (["export", "a@x.lit", "b@", "--url", URL], "invalid JID 'b@'"),
        (["export", "--domain", "a@x.lit", "--url", URL], "--domain takes a domain"),
        (["export", "a@x.lit", "--with", "@x", "--url", URL], "invalid JID '@x'"),
        (["export", "a@x.lit"], "--url is required (or set MONGOOSEIM_URL)"),
        (["export", "a@x.lit", "--url", URL, "--resume"], "--resume needs -o PATH"),
        (["export", "a@x.lit", "--url", URL, "--resume", "-o", "-"], "--resume needs -o PATH"),
        (["export", "a@x.lit", "--url", URL, "--page-size", "0"], "expected a positive integer"),
        (["export", "a@x.lit", "--url", URL, "--concurrency", "x"], "expected a positive integer"),
        (["export", "a@x.lit", "--url", URL, "--format", "xml"], "invalid choice: 'xml'"),
        (["export", "a@x.lit", "--url", URL, "--api", "soap"], "invalid choice: 'soap'"),
        (["export", "a@x.lit", "--url", URL, "--on-stall", "hope"], "invalid choice: 'hope'"),
        (["export", "a@x.lit", "--url", URL, "--before", "2024-01-01T00:00"], "no UTC offset"),
        (["export", "a@x.lit", "--url", URL, "--before", "yesterday"], "ISO 8601"),
        (["export", "a@x.lit", "--url", URL, "--password", "x"], "there is no --password option"),
        (["export", "a@x.lit", "--url", URL, "--password=x"], "set $MONGOOSEIM_PASSWORD"),
        (["export", "a@x.lit", "--url", "ftp://x/api"], "base_url must be an http"),
        (["export", "a@x.lit", "--url", URL, "--user", "admin"], "set $MONGOOSEIM_PASSWORD"),
        (["demo", "--messages", "-5"], "expected a positive integer"),
    ],
)
def test_usage_errors_exit_2(monkeypatch, argv: list[str], message: str) -> None:
    status, err = run(monkeypatch, *argv)
    assert status == 2
    assert err.startswith("usage: aiomongoose")
    assert message in err


def test_help_exits_0(monkeypatch, capsys) -> None:
    status, _ = run(monkeypatch, "export", "--help")
    assert status == 0
    text = capsys.readouterr().out
    for option in (
        "--domain",
        "--password-env",
        "--chronological",
        "--on-stall",
        "--resume",
        "--room",
        "--kind",
        "--rooms-of",
        "--muc-domain",
        "--visible-to",
        "--shard",
    ):
        assert option in text


def test_password_prompt_on_a_terminal(monkeypatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    asked: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or "pw")
    monkeypatch.delenv("MONGOOSEIM_URL", raising=False)
    monkeypatch.delenv("MONGOOSEIM_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", Tty())
    err = io.StringIO()
    # The prompt comes before any request; the unreachable URL then fails the owner (exit 1).
    argv = ["export", "a@x.lit", "--url", URL, "--user", "admin", "--quiet"]
    assert main(argv, stdout=io.BytesIO(), stderr=err) == 1
    assert asked == ["Password for admin: "]
    assert "a@x.lit: failed: ConnectionFailedError" in err.getvalue()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1700000000", 1700000000),
        ("0", 0),
        ("2023-11-14T22:13:20Z", 1700000000),
        ("2023-11-14T22:13:20.999+00:00", 1700000000),
        ("2023-11-14T23:13:20+01:00", 1700000000),
    ],
)
def test_when(text: str, seconds: int) -> None:
    assert _when(text) == seconds


@pytest.mark.parametrize("text", ["-5", "2023-11-14", "2023-11-14T22:13:20", "soon"])
def test_when_rejects(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _when(text)


SECRET = "hunter2-S3cret"
SECRET_URLS = [
    f"http://admin:{SECRET}@localhost:99999/api",
    f"ftp://admin:{SECRET}@localhost/api",
    f"http://admin:{SECRET}@localhost:0/api",
    f"http://admin:{SECRET}@/api",
    f"admin:{SECRET}@localhost:8088/api",
]


@pytest.mark.parametrize("url", SECRET_URLS)
@pytest.mark.parametrize("command", [["export", "a@x.lit"], ["listen", "a@x.lit"]])
@pytest.mark.parametrize("via", ["--url", "$MONGOOSEIM_URL"])
def test_a_password_in_a_bad_url_is_never_printed(monkeypatch, capsys, url, command, via):
    argv = [*command, "--url", url] if via == "--url" else command
    monkeypatch.setattr("sys.stdin", io.StringIO())
    monkeypatch.delenv("MONGOOSEIM_PASSWORD", raising=False)
    monkeypatch.setenv("MONGOOSEIM_URL", url)
    err = io.StringIO()
    status = main(argv, stdout=io.BytesIO(), stderr=err)
    printed = err.getvalue() + "".join(capsys.readouterr())
    assert status == 2, printed
    assert "***@" in printed
    assert SECRET not in printed


PASSWORD_FLAGS = [
    ["--passwd", SECRET],
    ["--pass", SECRET],
    ["-p", SECRET],
    ["--pw", SECRET],
    ["--pwd", SECRET],
    ["--PASSWORD", SECRET],
    [f"--passwd={SECRET}"],
    [f"--pw={SECRET}"],
    [f"-p{SECRET}"],
    ["--password", SECRET],
    [f"--password={SECRET}"],
]


@pytest.mark.parametrize("flag", PASSWORD_FLAGS, ids=lambda f: f[0].split("=")[0][:10])
@pytest.mark.parametrize(
    "command",
    [
        ["export", "a@x.lit", "--url", URL],
        ["export", "--url", URL, "--domain", "x.lit"],
        ["listen", "a@x.lit", "--url", URL],
        ["demo"],
        [],
    ],
)
@pytest.mark.parametrize("where", ["end", "start"])
def test_a_password_given_as_an_option_is_never_echoed(monkeypatch, capsys, flag, command, where):
    argv = [*command, *flag] if where == "end" else [*command[:1], *flag, *command[1:]]
    status, err = run(monkeypatch, *argv)
    printed = err + "".join(capsys.readouterr())
    assert status == 2, printed
    assert SECRET not in printed
    assert "MONGOOSEIM_PASSWORD" in printed


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "a@x.lit", "--url", URL, "--password-e", "MY_VAR"],  # no abbreviation
        ["export", "a@x.lit", "--url", URL, "--res"],
        ["export", "a@x.lit", "--url", URL, "--chrono"],
        ["listen", "a@x.lit", "--url", URL, "--poll", "2"],
    ],
)
def test_options_are_never_abbreviated(monkeypatch, argv):
    status, err = run(monkeypatch, *argv)
    assert status == 2
    assert "unrecognized arguments" in err or "no --password option" in err
