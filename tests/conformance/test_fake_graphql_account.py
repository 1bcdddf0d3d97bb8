"""GraphQL account.listUsers on FakeMongooseIM: the users of a domain, read both ways."""

from __future__ import annotations

import pytest
from fake_wire import ALICE, BOB, CAROL, Wire, error_of, gql

from aiomongoose.testing import FakeMongooseIM

LIST = "query ListUsers($domain: DomainName!) { account { listUsers(domain: $domain) } }"
LAST = "query Last($caller: JID!) { stanza { getLastMessages(caller: $caller) { limit } } }"


async def test_lists_the_sorted_bare_jids_of_a_domain(server: FakeMongooseIM, wire: Wire):
    server.add_user("Dormouse@Wonderland.lit/teapot")  # stored bare and normalised
    server.add_user("hatter@tea.party")  # another domain: not listed
    answer = await gql(wire, LIST, {"domain": "wonderland.lit"}, operationName="ListUsers")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert answer.json() == {
        "data": {"account": {"listUsers": [ALICE, BOB, CAROL, "dormouse@wonderland.lit"]}}
    }


async def test_the_domain_is_nameprepped_and_rest_agrees(server: FakeMongooseIM, wire: Wire):
    upper = await gql(wire, LIST, {"domain": "WonderLand.LIT"})
    rest = await wire.get("/users/wonderland.lit")
    assert upper.json()["data"]["account"]["listUsers"] == rest.json() == [ALICE, BOB, CAROL]


async def test_a_literal_argument_and_a_domain_without_users(server: FakeMongooseIM, wire: Wire):
    server.add_domain("empty.lit")
    answer = await gql(wire, '{ account { listUsers(domain: "empty.lit") } }')
    assert answer.status == 200
    assert answer.json() == {"data": {"account": {"listUsers": []}}}


async def test_unknown_domain_is_a_200_with_domain_not_found(server: FakeMongooseIM, wire: Wire):
    answer = await gql(wire, LIST, {"domain": "Nowhere.lit"})
    assert answer.status == 200
    assert answer.json() == {
        "data": {"account": {"listUsers": None}},
        "errors": [
            {
                # The resolver reports the coerced (nameprepped) domain.
                "extensions": {"code": "domain_not_found", "domain": "nowhere.lit"},
                "message": "Domain does not exist",
                "path": ["account", "listUsers"],
            }
        ],
    }
    # A user's domain is a domain; a user's JID is not one.
    error = error_of(await gql(wire, LIST, {"domain": ALICE}), 200)
    assert error["extensions"] == {"code": "domain_not_found", "domain": ALICE}


@pytest.mark.parametrize(
    ("value", "shown", "reason"),
    [
        ("", "<<>>", "empty_domain_name"),
        ("tea party.lit", '<<"tea party.lit">>', "failed_to_parse_domain_name"),
        ("x" * 1024, '<<"' + "x" * 1024 + '">>', "failed_to_parse_domain_name"),
        (5, "5", "failed_to_parse_domain_name"),
        (["wonderland.lit"], '["wonderland.lit"]', "failed_to_parse_domain_name"),  # as JSON
    ],
)
async def test_domain_name_input_coercion(server, wire: Wire, value, shown, reason):
    answer = await gql(wire, LIST, {"domain": value}, operationName="ListUsers")
    assert error_of(answer, 400) == {
        "extensions": {"code": "input_coercion"},
        "message": (
            f"Input coercion failed for type DomainName with value {shown}. "
            f"The reason it failed is: {reason}"
        ),
        "path": ["ListUsers", "domain"],
    }


async def test_missing_domain_and_the_older_string_typed_document(server, wire: Wire):
    missing = error_of(await gql(wire, LIST, {}, operationName="ListUsers"), 400)
    assert missing["extensions"] == {"code": "missing_non_null_param"}
    assert missing["path"] == ["ListUsers", "domain"]
    # MongooseIM 6.0 declared `domain: String!`; the DomainName schema refuses that variable.
    older = LIST.replace("DomainName!", "String!")
    error = error_of(await gql(wire, older, {"domain": "wonderland.lit"}), 400)
    assert error["extensions"] == {"code": "type_mismatch"}
    assert "(String!)" in error["message"] and "(DomainName!)" in error["message"]
    # listUsers is a list of scalars: no selection set on it.
    scalar = '{ account { listUsers(domain: "wonderland.lit") { jid } } }'
    assert error_of(await gql(wire, scalar), 400)["extensions"] == {"code": "selection_on_scalar"}


async def test_account_category_disabled_leaves_stanza_working(server, wire: Wire):
    server.graphql_disabled_categories.add("account")
    answer = await gql(wire, LIST, {"domain": "wonderland.lit"})
    assert answer.status == 200
    assert answer.json() == {
        "data": {"account": None},
        "errors": [
            {
                "extensions": {"category": "account", "code": "category_disabled"},
                "message": "Category disabled",
                "path": ["account"],
            }
        ],
    }
    other = await gql(wire, LAST, {"caller": ALICE})
    assert other.json() == {"data": {"stanza": {"getLastMessages": {"limit": 50}}}}


async def test_both_categories_in_one_query(server, wire: Wire):
    query = (
        "query Both($domain: DomainName!, $caller: JID!) { "
        "stanza { getLastMessages(caller: $caller) { limit } } "
        "account { listUsers(domain: $domain) } }"
    )
    answer = await gql(wire, query, {"domain": "wonderland.lit", "caller": ALICE})
    assert answer.json() == {
        "data": {
            "account": {"listUsers": [ALICE, BOB, CAROL]},
            "stanza": {"getLastMessages": {"limit": 50}},
        }
    }


async def test_graphql_only_server_and_its_auth_rules(wire: Wire):
    async with FakeMongooseIM(version="6.6", auth=("admin", "secret")) as fake:
        fake.add_user(ALICE)
        w = wire.to(fake)
        good = await gql(w, LIST, {"domain": "wonderland.lit"}, operationName="ListUsers")
        assert good.status == 401  # no credentials sent: no_permissions
        assert good.json()["errors"][0]["extensions"] == {"code": "no_permissions"}
        authed = await w.post(
            "/graphql",
            json={"query": LIST, "variables": {"domain": "wonderland.lit"}},
            headers={"Authorization": "Basic YWRtaW46c2VjcmV0"},  # admin:secret
        )
        assert authed.status == 200
        assert authed.json() == {"data": {"account": {"listUsers": [ALICE]}}}
        assert (await w.get("/users/wonderland.lit")).status == 404  # no REST on 6.6


async def test_account_has_no_mutations_here(server, wire: Wire):
    document = 'mutation { account { listUsers(domain: "wonderland.lit") } }'
    error = error_of(await gql(wire, document), 400)
    assert error["extensions"] == {"code": "unknown_field"}
    assert error["path"] == ["ROOT", "account"]
