"""The GraphQL wire format, without HTTP: documents, date-times, stanzas, errors, records.

Expected values come from docs/server-behaviour.md ("GraphQL reading and sending"):
six fraction digits and ``Z``; errors on a 200 answer; records carry the archived stanza
instead of ``message_id`` and ``body``; whole-second ``timestamp`` rounded half up.
"""

from __future__ import annotations

import calendar
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from aiomongoose._graphql import check
from aiomongoose._stanza import StanzaError, id_and_body
from aiomongoose._time import format_datetime_us, parse_datetime_us
from aiomongoose.errors import (
    ApiError,
    BadRequestError,
    FeatureDisabledError,
    NotFoundError,
    ProtocolError,
    ServerError,
    UnauthorizedError,
)
from aiomongoose.messages.graphql import LAST_MESSAGES, SEND_MESSAGE
from aiomongoose.messages.graphql import parse_recent as parse_last_messages
from aiomongoose.messages.graphql import parse_send as parse_sent_id
from aiomongoose.models import GraphQLArchivedMessage, MessageList
from aiomongoose.users.graphql import LIST_USERS

URL = "http://localhost:5551/api/graphql"
T = 1_714_644_672  # 2024-05-02T10:11:12Z
FAST = settings(max_examples=200, deadline=None)


def body_of(value: Any) -> bytes:
    return json.dumps(value).encode()


def call(status: int, value: Any) -> dict[str, Any]:
    raw = value if isinstance(value, bytes) else body_of(value)
    return check(status, raw, method="POST", url=URL)


def error_body(code: str | None, message: str = "boom", **extensions: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"message": message, "path": ["stanza", "getLastMessages"]}
    if code is not None:
        entry["extensions"] = {"code": code, **extensions}
    return {"data": {"stanza": {"getLastMessages": None}}, "errors": [entry]}


# -- documents ---------------------------------------------------------------------------

DOCUMENTS = {
    "SEND_MESSAGE": (SEND_MESSAGE, {"from", "to", "body"}),
    "LAST_MESSAGES": (LAST_MESSAGES, {"caller", "with", "limit", "before"}),
    "LIST_USERS": (LIST_USERS, {"domain"}),
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_documents_are_constants_with_variables_only(name):
    document, variables = DOCUMENTS[name]
    assert isinstance(document, str)
    header, _, selection = document.partition("{")
    # every declared variable, and only those, is declared once in the header...
    declared = re.findall(r"\$(\w+)\s*:", header)
    assert sorted(declared) == sorted(variables)
    # ...and every argument in the selection is one of them, never a literal value
    arguments = re.findall(r"\(([^)]*)\)", selection)
    assert arguments, "the operation takes arguments"
    used = set()
    for argument_list in arguments:
        for pair in argument_list.split(","):
            field, _, value = (part.strip() for part in pair.partition(":"))
            assert value == f"${field}", f"{field}: {value} is not its variable"
            used.add(field)
    assert used == variables
    assert '"' not in document and "'" not in document
    assert not re.search(r"\d", selection), "no numbers in the selection"


def test_documents_name_the_operations_and_fields():
    assert SEND_MESSAGE.startswith("mutation ")
    assert "sendMessage(" in SEND_MESSAGE and "{ id }" in SEND_MESSAGE
    assert LAST_MESSAGES.startswith("query ")
    assert re.search(r"\$limit: PosInt\b", LAST_MESSAGES)
    assert re.search(r"\$before: DateTime\b", LAST_MESSAGES)
    assert re.search(r"\$caller: JID!", LAST_MESSAGES)
    assert re.search(r"\$with: JID\b(?!!)", LAST_MESSAGES)  # optional
    for field in ("sender", "timestamp", "stanza_id", "stanza", "limit"):
        assert re.search(rf"\b{field}\b", LAST_MESSAGES.partition("{")[2])
    assert LIST_USERS.startswith("query ") and "listUsers(" in LIST_USERS


# -- date-times --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time_us", "text"),
    [
        (T * 1_000_000 + 345_678, "2024-05-02T10:11:12.345678Z"),
        (T * 1_000_000, "2024-05-02T10:11:12.000000Z"),
        (T * 1_000_000 + 1, "2024-05-02T10:11:12.000001Z"),
        (0, "1970-01-01T00:00:00.000000Z"),
        (-1, "1969-12-31T23:59:59.999999Z"),
        (253_402_300_799_999_999, "9999-12-31T23:59:59.999999Z"),
    ],
)
def test_format_and_parse_known_values(time_us, text):
    assert format_datetime_us(time_us) == text
    assert parse_datetime_us(text) == time_us


def test_known_value_agrees_with_calendar():
    assert calendar.timegm((2024, 5, 2, 10, 11, 12, 0, 0, 0)) == T


@pytest.mark.parametrize(
    ("text", "time_us"),
    [
        ("2024-05-02T12:11:12.345678+02:00", T * 1_000_000 + 345_678),
        ("2024-05-02T04:41:12.345678-05:30", T * 1_000_000 + 345_678),
        ("2024-05-02T10:11:12.345678+00:00", T * 1_000_000 + 345_678),
        ("2024-05-03T00:11:12+14:00", T * 1_000_000),
        ("2024-05-02T10:11:12.5Z", T * 1_000_000 + 500_000),
        ("2024-05-02T10:11:12Z", T * 1_000_000),
    ],
)
def test_parse_offsets_and_short_fractions(text, time_us):
    assert parse_datetime_us(text) == time_us


@pytest.mark.parametrize(
    "text", ["2024-05-02T10:11:12.345678", "2024-05-02T10:11:12", "2024-05-02", ""]
)
def test_parse_rejects_naive_and_dateless(text):
    with pytest.raises(ValueError):
        parse_datetime_us(text)


@pytest.mark.parametrize(
    "text", ["yesterday", "2024-13-02T10:11:12Z", "2024-05-02T25:00:00Z", "Z", "2024-05-02TZ"]
)
def test_parse_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_datetime_us(text)


@pytest.mark.parametrize("value", [None, 1714644672, 1.5, b"2024-05-02T10:11:12Z", ["x"]])
def test_parse_rejects_non_strings(value):
    with pytest.raises(TypeError):
        parse_datetime_us(value)


MIN_US = -30_610_224_000 * 1_000_000  # 1000-01-01T00:00:00Z (strftime pads no further)
MAX_US = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z


@FAST
@given(st.integers(MIN_US, MAX_US))
def test_format_parse_round_trip(time_us):
    text = format_datetime_us(time_us)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", text)
    assert parse_datetime_us(text) == time_us
    # agrees with an independent computation: whole seconds by calendar, then the fraction
    seconds = calendar.timegm(datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").timetuple())
    assert seconds * 1_000_000 + int(text[20:26]) == time_us


@FAST
@given(st.integers(0, MAX_US - 86_400 * 10**6), st.integers(-(24 * 60 - 1), 24 * 60 - 1))
def test_parse_any_offset(time_us, offset_minutes):
    zone = timezone(timedelta(minutes=offset_minutes))
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=time_us)
    text = moment.astimezone(zone).isoformat(timespec="microseconds")
    assert parse_datetime_us(text) == time_us


# -- stanzas -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stanza", "expected"),
    [
        ("<message id='abc' to='a@x'><body>Hi!</body></message>", ("abc", "Hi!")),
        ('<message to="a@x" type="chat"><body>Hi</body></message>', ("", "Hi")),
        ("<message id=''><body>x</body></message>", ("", "x")),
        ("<message id='m1' type='chat'/>", ("m1", None)),
        ("<message id='m1'><body/></message>", ("m1", "")),
        ("<message id='m1'><body></body></message>", ("m1", "")),
        (
            "<message><body>a &amp; b &lt;c&gt; &apos;d&apos; &quot;e&quot;</body></message>",
            ("", "a & b <c> 'd' \"e\""),
        ),
        ("<message><body>&#233;&#x1F600;</body></message>", ("", "é\U0001f600")),
        ("<message id='a&amp;b'><body>x</body></message>", ("a&b", "x")),
        ("<message><body>  two  spaces\nline </body></message>", ("", "  two  spaces\nline ")),
        (
            '<message xmlns="jabber:client" id="ns"><body>yo</body></message>',
            ("ns", "yo"),
        ),
        (
            '<c:message xmlns:c="jabber:client" id="p"><c:body>pre</c:body></c:message>',
            ("p", "pre"),
        ),
        (
            "<message id='t'><thread>th</thread><body>after</body>"
            "<active xmlns='http://jabber.org/protocol/chatstates'/></message>",
            ("t", "after"),
        ),
        # a <body> inside another element is not the message's body
        ("<message><x><body>inner</body></x></message>", ("", None)),
        ("<message><x><body>inner</body></x><body>outer</body></message>", ("", "outer")),
        # nor is a <body> of another namespace
        ("<message><body xmlns='urn:x'>foreign</body></message>", ("", None)),
        (
            "<message id='m'><received xmlns='urn:xmpp:chat-markers:0' id='a'/></message>",
            ("m", None),
        ),
    ],
)
def test_id_and_body(stanza, expected):
    assert id_and_body(stanza) == expected


@pytest.mark.parametrize(
    "stanza",
    [
        "<iq id='x' type='get'/>",
        "<presence/>",
        "<body>x</body>",
        "<messages><body>x</body></messages>",
    ],
)
def test_non_message_root_is_rejected(stanza):
    with pytest.raises(StanzaError):
        id_and_body(stanza)


@pytest.mark.parametrize(
    "stanza",
    [
        "",
        "not xml",
        "<message>",
        "<message><body>x</message>",
        "<message/><message/>",
        "<message><body>&nbsp;</body></message>",
        "<message><body>a & b</body></message>",
        "<message id='a<b'/>",
    ],
)
def test_malformed_xml_is_rejected(stanza):
    with pytest.raises(StanzaError):
        id_and_body(stanza)


@pytest.mark.parametrize(
    "stanza",
    [
        '<!DOCTYPE message [<!ENTITY x "boom">]><message><body>&x;</body></message>',
        '<!DOCTYPE message [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<message><body>&b;&b;&b;&b;</body></message>",
        '<!DOCTYPE message [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<message><body>&x;</body></message>",
        "<!DOCTYPE message><message><body>x</body></message>",
    ],
)
def test_declarations_are_rejected(stanza):
    with pytest.raises(StanzaError):
        id_and_body(stanza)


def test_stanza_error_is_a_value_error():
    assert issubclass(StanzaError, ValueError)


@FAST
@given(st.text(max_size=60))
def test_any_text_gives_a_result_or_a_stanza_error(text):
    for stanza in (text, f"<message>{text}</message>", f"<message><body>{text}</body></message>"):
        try:
            message_id, body = id_and_body(stanza)
        except StanzaError:
            continue
        assert isinstance(message_id, str)
        assert body is None or isinstance(body, str)


@FAST
@given(
    st.text(st.characters(blacklist_categories=["Cs", "Cc", "Cn"]), max_size=40),
    st.text(max_size=20),
)
def test_escaped_text_comes_back_exactly(text, message_id):
    def escape(value: str) -> str:
        return (
            value.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&quot;")
            .replace("'", "&apos;")
        )

    clean_id = "".join(c for c in message_id if c.isalnum())
    stanza = f"<message id='{clean_id}'><body>{escape(text)}</body></message>"
    assert id_and_body(stanza) == (clean_id, text)


@pytest.mark.parametrize(
    "stanza", ["<message><body>\ud800</body></message>", "<message id='\udfff'/>"]
)
def test_lone_surrogate_is_a_stanza_error(stanza):
    with pytest.raises(StanzaError):
        id_and_body(stanza)


# -- check(): errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message", "cls"),
    [
        ("unknown_user", "User does not exist", BadRequestError),
        ("unknown_user", "User's domain does not exist", BadRequestError),
        ("invalid_sender", "Sender is not a local user", BadRequestError),
        ("deps_not_loaded", "Some of required modules are not loaded", FeatureDisabledError),
        ("category_disabled", "Category disabled", FeatureDisabledError),
        ("something_new", "A future error", ApiError),
    ],
)
def test_200_with_errors_raises_by_code(code, message, cls):
    with pytest.raises(ApiError) as info:
        call(200, error_body(code, message))
    error = info.value
    assert type(error) is cls
    assert (error.status, error.code, error.message) == (200, code, message)
    assert (error.method, error.url) == ("POST", URL)
    assert code in str(error) and message in str(error)


def test_deps_not_loaded_names_the_modules():
    with pytest.raises(FeatureDisabledError) as info:
        call(200, error_body("deps_not_loaded", "not loaded", not_loaded_modules=["mod_mam_pm"]))
    assert "mod_mam_pm" in str(info.value) and "mod_mam_pm" in info.value.hint
    with pytest.raises(FeatureDisabledError) as info:
        call(
            200,
            error_body("deps_not_loaded", "x", not_loaded_modules=["mod_mam_pm", "mod_mam"]),
        )
    assert "mod_mam_pm" in str(info.value)
    assert "mod_mam" in str(info.value).replace("mod_mam_pm", "")


def test_category_disabled_says_so():
    with pytest.raises(FeatureDisabledError) as info:
        call(200, error_body("category_disabled", "Category disabled"))
    assert "categor" in info.value.hint.lower()
    assert info.value.hint in str(info.value)


def test_200_error_without_extensions_is_an_api_error_without_code():
    with pytest.raises(ApiError) as info:
        call(200, error_body(None, "Something failed"))
    assert type(info.value) is ApiError
    assert (info.value.code, info.value.message) == (None, "Something failed")


def test_200_with_data_and_errors_is_never_success():
    value = {
        "data": {"stanza": {"sendMessage": {"id": "abc"}}},
        "errors": [{"message": "User does not exist", "extensions": {"code": "unknown_user"}}],
    }
    with pytest.raises(BadRequestError) as info:
        call(200, value)
    assert info.value.code == "unknown_user"


@pytest.mark.parametrize(
    "errors", ["boom", {"message": "x"}, [None], [1], [{"message": 5, "extensions": []}]]
)
def test_malformed_errors_are_still_errors(errors):
    with pytest.raises(ApiError) as info:
        call(200, {"data": {"stanza": None}, "errors": errors})
    assert info.value.status == 200
    assert isinstance(info.value.message, str) and info.value.message
    assert info.value.code is None


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "wrong_credentials", UnauthorizedError),
        (401, "no_permissions", UnauthorizedError),
        (400, "input_coercion", BadRequestError),
        (400, "parser_error", BadRequestError),
        (400, "invalid_json_body", BadRequestError),
        (500, "internal_server_error", ServerError),
    ],
)
def test_error_status_with_errors(status, code, cls):
    entry = {"message": f"{code} happened", "extensions": {"code": code}}
    with pytest.raises(ApiError) as info:
        call(status, {"errors": [entry]})
    error = info.value
    assert type(error) is cls
    assert (error.status, error.code, error.message) == (status, code, f"{code} happened")
    assert code in str(error)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (415, ApiError),
        (405, ApiError),
        (406, ApiError),
        (400, BadRequestError),
        (404, NotFoundError),
        (500, ServerError),
    ],
)
def test_empty_error_bodies_map_by_status(status, cls):
    with pytest.raises(ApiError) as info:
        call(status, b"")
    assert type(info.value) is cls
    assert (info.value.status, info.value.code, info.value.message) == (status, None, "")
    assert str(status) in str(info.value)


@pytest.mark.parametrize(
    "raw", [b"{}", b'{"data": null}', b'{"data": []}', b"[]", b"null", b"", b"not json"]
)
def test_200_without_data_is_a_protocol_error(raw):
    with pytest.raises(ProtocolError) as info:
        call(200, raw)
    assert info.value.status == 200


def test_200_with_data_returns_it():
    data = {"stanza": {"sendMessage": {"id": "abc"}}}
    assert call(200, {"data": data}) == data


_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
_shallow = (
    _leaf | st.lists(_leaf, max_size=3) | st.dictionaries(st.text(max_size=6), _leaf, max_size=3)
)
# JSON values two levels deep (st.recursive is slower to draw and no better here)
json_values = (
    _shallow
    | st.lists(_shallow, max_size=3)
    | st.dictionaries(st.text(max_size=6), _shallow, max_size=3)
)


@FAST
@given(st.integers(200, 599), json_values, json_values)
def test_check_raises_only_api_or_protocol_errors(status, data, errors):
    value = {"data": data, "errors": errors}
    try:
        result = call(status, value)
    except ApiError as error:
        assert error.status == status
        assert error.code is None or isinstance(error.code, str)
        assert isinstance(error.message, str)
        return
    except ProtocolError:
        assert status < 300
        return
    assert status < 300, "an error status is never success"
    assert not errors, "an answer carrying errors is never success"
    assert result == data


@FAST
@given(st.integers(200, 599), st.binary(max_size=40))
def test_check_on_any_bytes(status, raw):
    try:
        call(status, raw)
    except (ApiError, ProtocolError):
        return
    assert status < 300


# -- records -----------------------------------------------------------------------------


def item(**overrides: Any) -> dict[str, Any]:
    value = {
        "sender": "bob@localhost/phone",
        "timestamp": "2024-05-02T10:11:12.345678Z",
        "stanza_id": "C5RLQAE7CJG1",
        "stanza": "<message id='m1' type='chat'><body>Hi &amp; bye</body></message>",
    }
    value.update(overrides)
    return value


def answer(stanzas: Any, limit: Any = 50) -> dict[str, Any]:
    return {"stanza": {"getLastMessages": {"stanzas": stanzas, "limit": limit}}}


def parse(data: dict[str, Any]) -> tuple[MessageList, int | None]:
    return parse_last_messages(data, 200, body_of({"data": data}))


def test_parse_last_messages_maps_every_field():
    second = item(
        sender="alice@localhost",
        timestamp="2024-05-02T10:11:13.500000Z",
        stanza_id="C5RLQAE7CJG2",
        stanza="<message xmlns='jabber:client'><displayed xmlns='urn:xmpp:chat-markers:0'"
        " id='m1'/></message>",
    )
    page, limit = parse(answer([item(), second], limit=2))
    assert limit == 2
    assert isinstance(page, MessageList) and len(page) == 2
    first = page[0]
    assert first == GraphQLArchivedMessage(
        "bob@localhost/phone",
        T,
        "m1",
        "Hi & bye",
        stanza_id="C5RLQAE7CJG1",
        stanza="<message id='m1' type='chat'><body>Hi &amp; bye</body></message>",
        timestamp_us=T * 1_000_000 + 345_678,
    )
    assert first.sent_at == datetime(2024, 5, 2, 10, 11, 12, 345_678, tzinfo=timezone.utc)
    assert page[1].sender == "alice@localhost"
    assert (page[1].message_id, page[1].body) == ("", None)
    assert page[1].timestamp == T + 2  # 13.5 rounds half up
    assert page[1].stanza_id == "C5RLQAE7CJG2"
    assert page[1].sent_at.microsecond == 500_000


@pytest.mark.parametrize(
    ("fraction", "second"),
    [
        ("000000", T),
        ("000001", T),
        ("499999", T),
        ("500000", T + 1),
        ("500001", T + 1),
        ("999999", T + 1),
    ],
)
def test_timestamp_is_microseconds_rounded_half_up(fraction, second):
    page, _ = parse(answer([item(timestamp=f"2024-05-02T10:11:12.{fraction}Z")]))
    assert page[0].timestamp == second
    assert page[0].timestamp_us == T * 1_000_000 + int(fraction)


def test_timestamp_with_an_offset():
    page, _ = parse(answer([item(timestamp="2024-05-02T12:11:12.600000+02:00")]))
    assert (page[0].timestamp, page[0].timestamp_us) == (T + 1, T * 1_000_000 + 600_000)


def test_empty_page_and_null_limit():
    assert parse(answer([], limit=50)) == (MessageList(), 50)
    page, limit = parse(answer([item()], limit=None))
    assert len(page) == 1 and limit is None


MALFORMED = [
    {},
    {"stanza": None},
    {"stanza": {}},
    {"stanza": {"getLastMessages": None}},
    {"stanza": {"getLastMessages": []}},
    answer(None),
    answer({"0": item()}),
    answer("[]"),
    answer([item()], limit="50"),
    answer([item()], limit=True),
    answer([item()], limit=50.0),
    answer([None]),
    answer([1]),
    answer(["record"]),
    answer([[item()]]),
    answer([item(), {}]),
    *(answer([{k: v for k, v in item().items() if k != key}]) for key in item()),
    answer([item(sender=1)]),
    answer([item(sender=None)]),
    answer([item(stanza_id=7)]),
    answer([item(stanza_id=None)]),
    answer([item(stanza=None)]),
    answer([item(stanza={"body": "x"})]),
    answer([item(timestamp=T)]),
    answer([item(timestamp=None)]),
    answer([item(timestamp="")]),
    answer([item(timestamp="yesterday")]),
    answer([item(timestamp="2024-05-02T10:11:12.345678")]),  # naive
    answer([item(timestamp="2024-02-30T10:11:12.345678Z")]),
    answer([item(stanza="")]),
    answer([item(stanza="<message><body>x</message>")]),
    answer([item(stanza="<iq type='get'/>")]),
    answer([item(stanza="<!DOCTYPE m [<!ENTITY x 'y'>]><message><body>&x;</body></message>")]),
]


@pytest.mark.parametrize("data", MALFORMED)
def test_malformed_payloads_are_protocol_errors(data):
    with pytest.raises(ProtocolError) as info:
        parse(data)
    assert info.value.status == 200


def _mostly(valid: st.SearchStrategy[Any], *others: st.SearchStrategy[Any]) -> Any:
    """``valid`` seven times in eight (one_of would flatten nested alternatives)."""
    other = st.one_of(*others) if others else valid
    return st.integers(0, 7).flatmap(lambda k: valid if k else other)


_stanzas = st.sampled_from(
    [
        "<message id='x'><body>hi</body></message>",
        "<message xmlns='jabber:client'/>",
        "<message id='y'><body>a &amp; b</body></message>",
    ]
)
record_values = st.fixed_dictionaries(
    {
        "sender": _mostly(st.just("bob@localhost"), json_values),
        "timestamp": _mostly(
            st.integers(0, MAX_US).map(format_datetime_us),
            st.text(alphabet="0123456789-T:.Z+", max_size=30),
            json_values,
        ),
        "stanza_id": _mostly(st.text(min_size=1, max_size=12), json_values),
        "stanza": _mostly(
            _stanzas,
            st.sampled_from(["<presence/>", "<message><body>x</message>", ""]),
            st.text(alphabet="<>/=' &;!amessagebodyid", max_size=40),
            json_values,
        ),
    },
    optional={"extra": json_values},
)


@FAST
@given(
    _mostly(
        st.fixed_dictionaries(
            {
                "stanzas": _mostly(
                    st.lists(_mostly(record_values, json_values), min_size=1, max_size=4),
                    st.just([]),
                    json_values,
                ),
                "limit": _mostly(st.none() | st.integers(), json_values),
            }
        ),
        json_values,
    ),
    st.sampled_from(["getLastMessages"] * 4 + ["stanza", "data"]),
)
def test_random_payloads_give_records_or_a_protocol_error(result, where):
    if where == "getLastMessages":
        data = {"stanza": {"getLastMessages": result}}
    elif where == "stanza":
        data = {"stanza": result}
    else:
        data = result if isinstance(result, dict) else {"data": result}
    try:
        page, limit = parse(data)
    except ProtocolError:
        event("protocol error")
        return
    event(f"accepted, {min(len(page), 2)}+ records")
    assert isinstance(page, MessageList)
    assert where == "getLastMessages", "accepted without stanza.getLastMessages"
    assert limit is None or type(limit) is int
    for record in page:
        assert type(record.stanza_id) is str and type(record.stanza) is str
        assert type(record.timestamp_us) is int
        assert record.timestamp == (record.timestamp_us + 500_000) // 1_000_000


# -- sendMessage -------------------------------------------------------------------------


def test_parse_sent_id():
    data = {"stanza": {"sendMessage": {"id": "a1b2c3"}}}
    assert parse_sent_id(data, 200, body_of({"data": data})) == "a1b2c3"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"stanza": None},
        {"stanza": {"sendMessage": None}},
        {"stanza": {"sendMessage": {}}},
        {"stanza": {"sendMessage": {"id": None}}},
        {"stanza": {"sendMessage": {"id": 12}}},
        {"stanza": {"sendMessage": "a1b2c3"}},
        {"stanza": {"getLastMessages": {"id": "x"}}},
    ],
)
def test_parse_sent_id_rejects_malformed(data):
    with pytest.raises(ProtocolError):
        parse_sent_id(data, 200, body_of({"data": data}))
