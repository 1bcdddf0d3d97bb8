"""Wire formats behind the public resources: REST (MongooseIM 3.x-6.5) and GraphQL (6.0+).

Each backend turns validated arguments into requests and answers into models. The public
resources (``client.messages``, ``client.users``) validate, then delegate here, so no wire
detail leaks into the public API.
"""

from __future__ import annotations

from .base import Backend
from .graphql import GraphQLBackend
from .rest import RestBackend
from .select import APIS, BackendSlot

__all__ = ["APIS", "Backend", "BackendSlot", "GraphQLBackend", "RestBackend"]
