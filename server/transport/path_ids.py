"""``{name:id}`` in a route: a row id that fits the databases' 64-bit integers, else the route does not match (404).

Starlette's ``int`` converter takes any run of digits, and an id beyond 2**63 fails inside the database driver."""

from __future__ import annotations

from starlette.convertors import IntegerConvertor, register_url_convertor


class RowIdConvertor(IntegerConvertor):
    regex = "[0-9]{1,18}"  # under 10**18: every id a row can have, never an overflow


register_url_convertor("id", RowIdConvertor())
