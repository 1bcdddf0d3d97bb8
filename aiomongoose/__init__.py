"""aiomongoose: an asyncio client for the MongooseIM admin API."""

from .errors import (
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
)
from .models import ArchivedMessage, Message, MessageList

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "ArchivedMessage",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "ForbiddenError",
    "InvalidArgumentError",
    "InvalidJIDError",
    "Message",
    "MessageList",
    "MongooseIMError",
    "NotFoundError",
    "PaginationError",
    "ProtocolError",
    "ServerError",
    "TransportError",
    "UnauthorizedError",
    "__version__",
]
