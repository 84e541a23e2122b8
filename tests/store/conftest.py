"""The store's tests run on SQLite and on a real PostgreSQL the session starts itself."""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.support.postgres import Postgres, postgres_bin

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres():
    if postgres_bin() is None:
        message = "PostgreSQL is not installed (/usr/lib/postgresql/*/bin); .ci/run installs it"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    server = Postgres().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'k.db'}"
    return request.getfixturevalue("postgres").create_database(f"kontakt_test_{next(_names)}")
