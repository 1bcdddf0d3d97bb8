"""aiomongoose: an asyncio client for the MongooseIM admin API."""

from .client import AdminClient
from .errors import (
    ApiError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    ConnectionFailedError,
    EventLoopError,
    FeatureDisabledError,
    ForbiddenError,
    InvalidArgumentError,
    InvalidJIDError,
    MongooseIMError,
    NotFoundError,
    PaginationError,
    ProtocolError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    UnauthorizedError,
    UnsupportedOperationError,
)
from .models import (
    ArchivedMessage,
    GraphQLArchivedMessage,
    IncomingMessage,
    Message,
    MessageList,
)
from .paging import History
from .retry import RetryPolicy

__version__ = "0.1.0"

__all__ = [
    "AdminClient",
    "ApiError",
    "ArchivedMessage",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "ConnectionFailedError",
    "EventLoopError",
    "FeatureDisabledError",
    "ForbiddenError",
    "GraphQLArchivedMessage",
    "History",
    "IncomingMessage",
    "InvalidArgumentError",
    "InvalidJIDError",
    "Message",
    "MessageList",
    "MongooseIMError",
    "NotFoundError",
    "PaginationError",
    "ProtocolError",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "UnauthorizedError",
    "UnsupportedOperationError",
    "__version__",
]
