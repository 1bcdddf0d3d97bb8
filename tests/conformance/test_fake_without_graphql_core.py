"""FakeMongooseIM without graphql-core (no ``testing`` extra): REST works, GraphQL says why not."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from fake_wire import ALICE, Wire, gql

from aiomongoose.testing import FakeMongooseIM
from aiomongoose.testing._graphql import GraphQLUnavailableError, load_engine

HINT = "pip install 'aiomongoose[testing]'"
MATCH = re.escape(HINT)


@pytest.fixture
def no_graphql_core(monkeypatch):
    """Imports of graphql-core fail, as in an install without the extra."""
    monkeypatch.setitem(sys.modules, "graphql", None)
    for name in ("aiomongoose.testing._gql_engine", "aiomongoose.testing._gql_schema"):
        if name in sys.modules:
            monkeypatch.delitem(sys.modules, name)


def test_the_engine_import_names_the_extra(no_graphql_core):
    with pytest.raises(GraphQLUnavailableError, match=MATCH) as info:
        load_engine()
    assert isinstance(info.value, ImportError)


async def test_rest_works_and_graphql_answers_why_not(no_graphql_core, wire: Wire):
    with pytest.raises(ImportError, match=MATCH):
        await FakeMongooseIM(version="6.6").start()  # GraphQL only: nothing to serve
    async with FakeMongooseIM() as fake:  # 6.5: REST and GraphQL
        fake.add_user(ALICE)
        w = wire.to(fake)
        assert (await w.send(ALICE, ALICE, "hi")).status == 204
        assert [r["body"] for r in (await w.get(f"/messages/{ALICE}")).json()] == ["hi"]
        answer = await gql(w, "{ __typename }")
        assert answer.status == 500
        [error] = answer.json()["errors"]
        assert error["extensions"] == {"code": "internal_server_error"}
        assert HINT in error["message"]
        sse = await w.get("/graphql/sse", params={"query": "subscription { __typename }"})
        assert sse.status == 500 and HINT in sse.json()["errors"][0]["message"]
        with pytest.raises(ImportError, match=MATCH):
            fake.graphql_url  # noqa: B018
        with pytest.raises(ImportError, match=MATCH):
            fake.sse_url  # noqa: B018


def test_the_plugin_and_the_rest_fake_do_not_import_graphql_core():
    code = (
        "import sys\n"
        "import aiomongoose.testing.pytest_plugin, aiomongoose.testing.fake_server\n"
        "from aiomongoose.testing import FakeMongooseIM\n"
        "FakeMongooseIM()\n"
        "assert 'graphql' not in sys.modules, 'graphql-core imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
