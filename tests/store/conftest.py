from netsafe.store.pytest_fixtures import database_url, db, postgres_server, postgres_store

__all__ = ["database_url", "db", "postgres_server", "postgres_store"]
