"""The exception tree and the pure status -> exception table (aiomongoose.errors)."""

from __future__ import annotations

import pytest

from aiomongoose import errors
from aiomongoose.errors import (
    ApiError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    ForbiddenError,
    InvalidArgumentError,
    InvalidJIDError,
    MongooseIMError,
    NotFoundError,
    PaginationError,
    ProtocolError,
    ServerError,
    TransportError,
    UnauthorizedError,
    error_for,
)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, UnauthorizedError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (599, ServerError),
    ],
)
def test_error_for_maps_status_to_class(status, cls):
    exc = error_for(status, b'"boom"')
    assert type(exc) is cls
    assert exc.status == status
    assert exc.message == "boom"


@pytest.mark.parametrize("status", [302, 301, 304, 405, 415, 418, 422, 429])
def test_error_for_other_status_is_plain_api_error(status):
    exc = error_for(status, b"nope")
    assert type(exc) is ApiError
    assert exc.status == status
    assert exc.message == "nope"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'"Invalid limit"', "Invalid limit"),
        (b'"User\'s domain does not exist"', "User's domain does not exist"),
        (b'"caf\\u00e9 \\"quoted\\""', 'café "quoted"'),
        (b'"Invalid owner JID"\n', "Invalid owner JID"),
        (b"Invalid limit", "Invalid limit"),  # 3.x-5.x plain text kept as is
        (b"Missing owner JID\n", "Missing owner JID\n"),
        (b'"unterminated', '"unterminated'),  # looks like JSON, is not: raw text
        (b'{"error": "x"}', '{"error": "x"}'),  # JSON but not a string: raw text
        (b"42", "42"),
        ("Zugriff verweigert: ä".encode(), "Zugriff verweigert: ä"),
        (b"\xff\xfebad", "\ufffd\ufffdbad"),  # undecodable bytes replaced, never raise
    ],
)
def test_message_decoding(body, message):
    assert error_for(400, body).message == message


def test_message_is_server_text_not_json():
    exc = error_for(400, b'"Invalid limit"')
    assert exc.message == "Invalid limit"
    assert "Invalid limit" in str(exc)
    assert '"Invalid limit"' not in exc.message


@pytest.mark.parametrize("status", [400, 404])
@pytest.mark.parametrize("body", [b"", b"  \r\n"])
def test_empty_400_404_carry_host_header_hint(status, body):
    exc = error_for(status, body, method="GET", url="http://127.0.0.1:8088/api/messages/a%40b")
    assert exc.message == body.decode()
    assert "Host header" in exc.hint
    text = str(exc)
    assert text.startswith(f"{status} ")
    assert "from GET http://127.0.0.1:8088/api/messages/a%40b" in text
    assert "Host header" in text
    assert "host_header='localhost'" in text


@pytest.mark.parametrize(("status", "body"), [(400, b'"Invalid limit"'), (401, b""), (500, b"")])
def test_no_hint_for_non_empty_or_other_statuses(status, body):
    exc = error_for(status, body)
    assert exc.hint == ""
    assert "Host header" not in str(exc)


def test_str_of_empty_body():
    exc = error_for(404, b"", method="GET", url="http://h/api/x")
    assert str(exc).startswith("404 (empty body) from GET http://h/api/x; an empty 400/404")


def test_str_shows_status_message_method_url():
    exc = error_for(400, b'"Invalid limit"', method="GET", url="http://h/api/messages/a%40b")
    assert str(exc) == "400 'Invalid limit' from GET http://h/api/messages/a%40b"
    assert exc.method == "GET"
    assert exc.url == "http://h/api/messages/a%40b"
    assert exc.location is None


def test_str_without_method_or_url():
    assert str(error_for(500, b"crash")) == "500 'crash'"


def test_location_is_kept_and_shown():
    exc = error_for(302, b"", method="GET", url="http://h/api/x", location="http://other/")
    assert type(exc) is ApiError
    assert exc.location == "http://other/"
    assert "redirect to 'http://other/' not followed" in str(exc)


def test_api_error_args():
    exc = ApiError(418, "teapot")
    assert exc.args == (418, "teapot")
    assert (exc.status, exc.message, exc.method, exc.url, exc.hint) == (418, "teapot", "", "", "")


# --- the tree -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls",
    [
        ApiError,
        BadRequestError,
        ClientClosedError,
        ConflictError,
        ForbiddenError,
        InvalidArgumentError,
        InvalidJIDError,
        NotFoundError,
        PaginationError,
        ProtocolError,
        ServerError,
        TransportError,
        UnauthorizedError,
    ],
)
def test_every_error_subclasses_mongooseim_error(cls):
    assert issubclass(cls, MongooseIMError)
    assert issubclass(cls, Exception)
    assert cls.__name__.endswith("Error")


@pytest.mark.parametrize(
    "cls",
    [
        BadRequestError,
        UnauthorizedError,
        ForbiddenError,
        NotFoundError,
        ConflictError,
        ServerError,
    ],
)
def test_status_errors_are_api_errors(cls):
    assert issubclass(cls, ApiError)


def test_mixins():
    assert issubclass(InvalidJIDError, ValueError)
    assert not issubclass(InvalidJIDError, TypeError)
    assert issubclass(InvalidArgumentError, ValueError)
    assert issubclass(InvalidArgumentError, TypeError)
    assert issubclass(ClientClosedError, RuntimeError)
    for cls in (ApiError, TransportError, ProtocolError, PaginationError):
        assert not issubclass(cls, (ValueError, TypeError, RuntimeError))
    assert not issubclass(TransportError, ApiError)
    assert not issubclass(ProtocolError, ApiError)


def test_errors_all_lists_every_exception_class():
    exported = {getattr(errors, name) for name in errors.__all__}
    classes = {
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, BaseException)
    }
    assert classes <= exported
    assert error_for in exported


# --- ProtocolError and PaginationError ------------------------------------------------------


def test_protocol_error_fields_and_str():
    exc = ProtocolError("expected a JSON array", status=200, body=b'{"a": 1}')
    assert exc.reason == "expected a JSON array"
    assert exc.status == 200
    assert exc.excerpt == '{"a": 1}'
    assert str(exc) == "expected a JSON array (status 200); body starts '{\"a\": 1}'"


def test_protocol_error_without_status():
    assert str(ProtocolError("bad")) == "bad; body starts ''"


@pytest.mark.parametrize(
    "body",
    [b"x" * 5_000_000, "é".encode() * 10_000, b"\xff" * 10_000, "\U0001f600".encode() * 999],
)
def test_protocol_error_excerpt_is_bounded(body):
    exc = ProtocolError("bad", status=200, body=body)
    assert 0 < len(exc.excerpt) <= 123
    assert body.decode("utf-8", "replace").startswith(exc.excerpt.removesuffix("..."))
    assert len(str(exc)) < 200


@pytest.mark.parametrize("body", [b"x" * 5_000_000, "é".encode() * 10_000, b"\xff" * 10_000])
def test_protocol_error_excerpt_marks_truncation(body):
    exc = ProtocolError("bad", status=200, body=body)
    assert len(exc.excerpt) == 123
    assert exc.excerpt.endswith("...")


def test_protocol_error_excerpt_marks_truncation_of_four_byte_text():
    exc = ProtocolError("bad", status=200, body="\U0001f600".encode() * 999)
    assert exc.excerpt.endswith("...")


def test_protocol_error_short_body_not_truncated():
    body = b"y" * 120
    assert ProtocolError("bad", body=body).excerpt == "y" * 120


def test_pagination_error_fields():
    exc = PaginationError("stuck", owner="a@b", with_="c@d", timestamp=1700000000)
    assert (exc.reason, exc.owner, exc.with_, exc.timestamp) == ("stuck", "a@b", "c@d", 1700000000)
    assert str(exc) == "archive of a@b with c@d at timestamp 1700000000: stuck"
    exc = PaginationError("stuck", owner="a@b", with_=None, timestamp=5)
    assert str(exc) == "archive of a@b at timestamp 5: stuck"
