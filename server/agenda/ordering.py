"""Moving one row of an ordered list (materials, gallery images) one place earlier or later."""

from collections.abc import Sequence
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession


class Positioned(Protocol):
    id: int | None
    position: int


def move_one_place(
    db: AsyncSession, rows: Sequence[Positioned], *, row_id: int | None, up: bool
) -> tuple[int, int] | None:
    """Swap the row with its neighbour and renumber every position from 0; the (before, after) index, or None at an end."""
    ordered = list(rows)
    index = next(i for i, row in enumerate(ordered) if row.id == row_id)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        return None
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, row in enumerate(ordered):
        row.position = position
        db.add(row)
    return index, other
