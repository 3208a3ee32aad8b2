"""Storage: SQLAlchemy engines and sessions, the declarative base, Alembic migrations."""

from clearinghouse.storage.engine import Database
from clearinghouse.storage.migrate import is_up_to_date, upgrade

__all__ = ["Database", "is_up_to_date", "open_database", "upgrade"]


def open_database(url: str | None = None, *, migrate: bool = True) -> Database:
    """The database the settings name, migrated to the current schema when `migrate`."""
    from clearinghouse.settings import get_settings

    db = Database(url or get_settings().database_url)
    if migrate and not is_up_to_date(db):
        upgrade(db)
    return db
