"""The board pack: one area's timeliness beside what happens to children afterwards.

>>> from outcomes.board import board_pack
>>> pack = board_pack(dataset, area="DFJ05", period="2023Q4")   # doctest: +SKIP
>>> pack.write("board/")            # board.html, tables.xlsx, figures/*.png

Every table, curve, figure and sentence of the pack is made from published
(suppressed) figures only; see ``docs/board.md``.
"""

from outcomes.board.pack import BoardError, BoardPack, Panel, board_pack

__all__ = ["BoardError", "BoardPack", "Panel", "board_pack"]
