"""The users group over GraphQL: ``account.listUsers``, pure."""

from __future__ import annotations

from typing import Any

from .._graphql import operation_result
from .._wire import GraphQLCall
from ..errors import ProtocolError

__all__ = ["LIST_USERS", "list_users", "parse_list_users"]

LIST_USERS = "query ListUsers($domain: DomainName!) { account { listUsers(domain: $domain) } }"


def list_users(domain: str) -> GraphQLCall:
    return GraphQLCall("ListUsers", LIST_USERS, {"domain": domain}, reads=True)


def parse_list_users(data: dict[str, Any], status: int, body: bytes) -> list[str]:
    users = operation_result(data, "account", "listUsers", status, body)
    if type(users) is not list or not all(type(u) is str for u in users):
        raise ProtocolError(
            "expected account.listUsers to be a list of JIDs", status=status, body=body
        )
    return users
