"""The package's public names (httpx-style export guard)."""

from __future__ import annotations

import importlib
import re

import aiomongoose
from aiomongoose import errors

ERROR_CLASSES = {
    "ApiError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "ConnectionFailedError",
    "EventLoopError",
    "FeatureDisabledError",
    "ForbiddenError",
    "InvalidArgumentError",
    "InvalidJIDError",
    "MongooseIMError",
    "NotFoundError",
    "PaginationError",
    "ProtocolError",
    "RequestTimeoutError",
    "ServerError",
    "TransportError",
    "UnauthorizedError",
    "UnsupportedOperationError",
}
EXPECTED = {
    "AdminClient",
    "Message",
    "ArchivedMessage",
    "GraphQLArchivedMessage",
    "MessageList",
    "History",
    "IncomingMessage",
    "RetryPolicy",
    "__version__",
} | ERROR_CLASSES


def test_all_is_exactly_the_public_names():
    assert set(aiomongoose.__all__) == EXPECTED
    assert len(aiomongoose.__all__) == len(EXPECTED)  # no duplicates


def test_every_name_is_importable():
    module = importlib.import_module("aiomongoose")
    for name in aiomongoose.__all__:
        assert getattr(module, name) is not None, name
    namespace: dict[str, object] = {}
    exec("from aiomongoose import *", namespace)
    assert set(namespace) - {"__builtins__"} == EXPECTED


def test_names_come_from_their_modules():
    from aiomongoose.client import AdminClient
    from aiomongoose.models import ArchivedMessage, Message, MessageList
    from aiomongoose.paging import History
    from aiomongoose.retry import RetryPolicy

    assert aiomongoose.AdminClient is AdminClient
    assert aiomongoose.RetryPolicy is RetryPolicy
    assert aiomongoose.History is History
    assert aiomongoose.Message is Message
    assert aiomongoose.ArchivedMessage is ArchivedMessage
    assert aiomongoose.MessageList is MessageList
    for name in ERROR_CLASSES:
        assert getattr(aiomongoose, name) is getattr(errors, name)


def test_error_classes_are_exceptions_of_the_tree():
    for name in ERROR_CLASSES:
        cls = getattr(aiomongoose, name)
        assert isinstance(cls, type) and issubclass(cls, aiomongoose.MongooseIMError), name


def test_every_error_class_of_errors_module_is_exported():
    in_module = {
        name
        for name, obj in vars(errors).items()
        if isinstance(obj, type)
        and issubclass(obj, Exception)
        and obj.__module__ == errors.__name__
    }
    assert in_module == ERROR_CLASSES


def test_private_helpers_not_exported():
    assert "error_for" not in aiomongoose.__all__
    assert not any(name.startswith("_") and name != "__version__" for name in aiomongoose.__all__)


def test_version():
    assert isinstance(aiomongoose.__version__, str)
    assert re.fullmatch(r"\d+\.\d+\.\d+([abrc.]+\d+|\.dev\d+|\.post\d+)?", aiomongoose.__version__)
