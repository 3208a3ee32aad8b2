"""Primary keys handed out in blocks, so that bulk inserts need no RETURNING round trip.

A row per sequence in `id_blocks`; taking a block is one UPDATE ... RETURNING that
locks the row until the transaction ends, on SQLite and PostgreSQL alike. Writers of
these tables already queue on the audit chain head, so the lock costs no concurrency.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from clearinghouse.storage.base import Base


class IdBlock(Base):
    __tablename__ = "id_blocks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


SEQUENCES = ("vulnerabilities", "alias_groups")


def allocate_ids(session: Session, name: str, count: int) -> range:
    """`count` fresh ids for table `name`, unique across every process and backend."""
    if count <= 0:
        return range(0)
    end = session.execute(
        text(
            "UPDATE id_blocks SET next_id = next_id + :count WHERE name = :name RETURNING next_id"
        ),
        {"count": count, "name": name},
    ).scalar_one()
    return range(end - count, end)
