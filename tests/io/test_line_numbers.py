"""Malformed records are placed on their own line, whatever order the parser reports them."""

from __future__ import annotations

from outcomes.io._files import _line_numbers


def test_whole_lines_only_and_any_order() -> None:
    body = b"a,b,c\nb,c\nx,y,z\nb,c\r\nb,c"
    # "b,c" also occurs inside "a,b,c"; three malformed copies, reported out of order.
    assert sorted(_line_numbers(body, ["b,c", "b,c", "b,c"])) == [1, 3, 4]
    assert _line_numbers(body, ["x,y,z"]) == [2]
