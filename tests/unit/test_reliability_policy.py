"""RetryPolicy and the pure retry decisions: no loop, no HTTP."""

from __future__ import annotations

import asyncio
import random
import ssl
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from types import SimpleNamespace

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiomongoose import AdminClient, InvalidArgumentError, RetryPolicy
from aiomongoose.client import DEFAULT_RETRY
from aiomongoose.retry import (
    never_sent,
    retry_after_seconds,
    retryable_failure,
    retryable_status,
)

KEY = SimpleNamespace(host="h.example", port=8088, ssl=True)


def connector_error() -> aiohttp.ClientConnectorError:
    return aiohttp.ClientConnectorError(KEY, ConnectionRefusedError(111, "Connection refused"))


def dns_error() -> aiohttp.ClientConnectorError:
    return aiohttp.ClientConnectorDNSError(KEY, OSError(-2, "Name or service not known"))


def certificate_error() -> aiohttp.ClientConnectorCertificateError:
    return aiohttp.ClientConnectorCertificateError(KEY, ssl.SSLCertVerificationError("bad cert"))


def ssl_error() -> aiohttp.ClientConnectorSSLError:
    return aiohttp.ClientConnectorSSLError(KEY, ssl.SSLError("handshake failure"))


def response_error() -> aiohttp.ClientResponseError:
    info = aiohttp.RequestInfo(aiohttp.client.URL("http://h/api"), "GET", None)  # type: ignore[arg-type]
    return aiohttp.ClientResponseError(info, (), status=400, message="Invalid status line")


def test_defaults():
    policy = RetryPolicy()
    assert policy.attempts == 3
    assert policy.backoff == 0.1
    assert policy.max_delay == 10.0
    assert policy.retry_statuses == frozenset({502, 503, 504})
    assert DEFAULT_RETRY == policy
    assert AdminClient("http://h/api").retry == policy
    assert AdminClient("http://h/api", retry=None).retry is None
    assert AdminClient("http://h/api").retries == 0


def test_policy_is_frozen_and_takes_any_set_of_statuses():
    policy = RetryPolicy(attempts=5, backoff=0, max_delay=1, retry_statuses={429, 503})
    assert policy.retry_statuses == frozenset({429, 503})
    assert isinstance(policy.retry_statuses, frozenset)
    with pytest.raises(AttributeError):
        policy.attempts = 2  # type: ignore[misc]
    assert hash(policy) == hash(RetryPolicy(5, 0, 1, frozenset({503, 429})))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"attempts": 0},
        {"attempts": -1},
        {"attempts": True},
        {"attempts": 2.0},
        {"attempts": "3"},
        {"backoff": -0.1},
        {"backoff": float("nan")},
        {"backoff": float("inf")},
        {"backoff": "0.1"},
        {"backoff": True},
        {"max_delay": -1},
        {"max_delay": float("inf")},
        {"retry_statuses": 503},
        {"retry_statuses": "503"},
        {"retry_statuses": {503, "504"}},
        {"retry_statuses": {200}},
        {"retry_statuses": {302}},
        {"retry_statuses": {600}},
        {"retry_statuses": {True}},
    ],
)
def test_invalid_policy(kwargs):
    with pytest.raises(InvalidArgumentError):
        RetryPolicy(**kwargs)


@pytest.mark.parametrize("retry", [3, True, "3", {"attempts": 3}])
def test_client_rejects_a_retry_that_is_not_a_policy(retry):
    with pytest.raises(InvalidArgumentError, match="RetryPolicy"):
        AdminClient("http://h/api", retry=retry)


@given(
    st.integers(1, 200),
    st.floats(0, 5, allow_nan=False),
    st.floats(0, 30, allow_nan=False),
)
def test_jitter_stays_within_the_exponential_ceiling(failures, backoff, max_delay):
    policy = RetryPolicy(attempts=3, backoff=backoff, max_delay=max_delay)
    ceiling = min(max_delay, backoff * 2.0 ** min(failures - 1, 64))
    for _ in range(20):
        assert 0.0 <= policy.delay(failures) <= ceiling


def test_jitter_is_full_jitter_and_doubles():
    policy = RetryPolicy(backoff=1.0, max_delay=100.0)
    rng_state = random.getstate()
    try:
        random.seed(1234)
        for failures, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (8, 100.0)]:
            samples = [policy.delay(failures) for _ in range(2000)]
            assert max(samples) <= ceiling
            # spread over the whole range, not a fixed delay
            assert min(samples) < ceiling * 0.05
            assert max(samples) > ceiling * 0.95
            assert abs(sum(samples) / len(samples) - ceiling / 2) < ceiling * 0.05
    finally:
        random.setstate(rng_state)


def test_zero_backoff_never_sleeps():
    policy = RetryPolicy(backoff=0)
    assert {policy.delay(n) for n in range(1, 10)} == {0.0}


def test_retry_after_replaces_jitter_and_is_capped():
    policy = RetryPolicy(backoff=0.001, max_delay=2.5)
    assert policy.delay(1, retry_after=1.25) == 1.25
    assert policy.delay(1, retry_after=120.0) == 2.5
    assert policy.delay(1, retry_after=0.0) == 0.0
    assert policy.delay(2, retry_after=-3.0) == 0.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        (None, None),
        ("", None),
        ("-1", None),
        ("1.5", None),
        ("soon", None),
        ("\u0661\u0662", None),  # Arabic-Indic digits: not delta-seconds
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past
    ],
)
def test_retry_after_values(value, seconds):
    assert retry_after_seconds(value) == seconds


def test_retry_after_http_date():
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    later = format_datetime(now + timedelta(seconds=7), usegmt=True)
    assert retry_after_seconds(later, now) == 7.0
    assert retry_after_seconds("Mon, 01 Jan 2024 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Mon, 01 Jan 2024 11:59:00 GMT", now) == 0.0
    assert retry_after_seconds("Mon, 99 Foo 2024 11:59:00 GMT", now) is None


@pytest.mark.parametrize(
    ("make", "get", "post"),
    [
        (connector_error, True, True),
        (dns_error, True, True),
        (lambda: aiohttp.ConnectionTimeoutError("connect timeout"), True, True),
        (lambda: asyncio.TimeoutError(), True, False),
        (lambda: aiohttp.SocketTimeoutError("read timeout"), True, False),
        (lambda: aiohttp.ServerTimeoutError("read timeout"), True, False),
        (lambda: aiohttp.ServerDisconnectedError(), True, False),
        (lambda: aiohttp.ClientConnectionResetError("reset"), True, False),
        (lambda: aiohttp.ClientOSError(104, "Connection reset by peer"), True, False),
        (lambda: aiohttp.ClientPayloadError("cut"), True, False),
        (lambda: aiohttp.ClientConnectionError(), True, False),
        (certificate_error, False, False),
        (ssl_error, False, False),
        (lambda: aiohttp.ServerFingerprintMismatch(b"a", b"b", "h", 1), False, False),
        (response_error, False, False),
        (lambda: aiohttp.InvalidURL("http://"), False, False),
        (lambda: aiohttp.ClientError(), False, False),
    ],
)
def test_which_failures_are_retried(make, get, post):
    exc = make()
    assert retryable_failure("GET", exc) is get
    assert retryable_failure("POST", exc) is post
    assert never_sent(exc) is post


def test_statuses_are_retried_for_reads_only():
    policy = RetryPolicy(retry_statuses={429, 503})
    assert retryable_status("GET", 503, policy)
    assert retryable_status("GET", 429, policy)
    assert not retryable_status("GET", 502, policy)
    assert not retryable_status("GET", 500, policy)
    for status in (429, 500, 502, 503, 504):
        assert not retryable_status("POST", status, policy)
