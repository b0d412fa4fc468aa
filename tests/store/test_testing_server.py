"""The throwaway PostgreSQL server of tests and benchmarks."""

from __future__ import annotations

import pytest

from netsafe.store.testing import PostgresServer, PostgresUnavailableError


def test_extra_settings_reach_the_server() -> None:
    """Benchmarks of big imports run the server with bulk-load settings (store.testing.BULK_LOAD_SETTINGS)."""
    psycopg = pytest.importorskip("psycopg")
    try:
        server = PostgresServer({"work_mem": "7MB", "max_wal_size": "3GB"}).start()
    except PostgresUnavailableError as err:
        pytest.skip(f"PostgreSQL not available: {err}")
    try:
        with psycopg.connect(server.url().replace("postgresql+psycopg", "postgresql")) as conn:
            shown = [conn.execute(f"SHOW {name}").fetchone() for name in ("work_mem", "max_wal_size")]
        assert shown == [("7MB",), ("3GB",)]
    finally:
        server.stop()


@pytest.mark.parametrize("settings", [{"work_mem": "1MB -c fsync=on"}, {"x; y": "1"}])
def test_settings_are_plain_names_and_values(settings: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="server settings"):
        PostgresServer(settings)
