"""Small-cell suppression: what of a table of counts about students may be published.

Institutional research publishes no count under a threshold (10 by default: FERPA
de-identification practice), and a table publishes its row and column totals, so hiding a
small cell alone is not enough: a row total minus the other cells gives it back. Complementary
suppression hides more cells until no row or column (nor the totals' own row and column) has
exactly one hidden entry, and then, since lines can combine (a column total that is the sum of
two others), hides more until every hidden entry lies on a cycle of hidden entries (see
:func:`determined`). ``tests/policies/test_disclosure.py`` checks the result independently,
with linear programming, on random tables.

Totals under the threshold are hidden too (a group of six is itself a disclosure). Zeros are
published: "nobody" is not a person, and a zero cell is useless as a complement.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

DEFAULT_THRESHOLD = 10


class CountTable(BaseModel):
    """Counts of students by row group and column outcome, before any suppression."""

    title: str
    rows: list[str]
    columns: list[str]
    counts: list[list[int]] = Field(description="counts[row][column], each >= 0")

    @model_validator(mode="after")
    def _rectangular(self) -> CountTable:
        if len(self.counts) != len(self.rows) or any(
            len(r) != len(self.columns) or min(r, default=0) < 0 for r in self.counts
        ):
            raise ValueError("counts must be rows x columns of non-negative integers")
        return self


class PublishedTable(BaseModel):
    """A table safe to publish: hidden entries are None, margins included."""

    title: str
    rows: list[str]
    columns: list[str]
    cells: list[list[int | None]]
    row_totals: list[int | None]
    column_totals: list[int | None]
    total: int | None
    threshold: int
    hidden: int = Field(description="cells and totals hidden, primary and complementary")

    @property
    def all_hidden(self) -> bool:
        """Nothing but zeros left: the caller explains instead of drawing an empty chart."""
        return all(c in (None, 0) for row in self.cells for c in row)

    def rate(self, row: int, column: int) -> float | None:
        """``cells[row][column]`` over its row total, when both are published."""
        cell, total = self.cells[row][column], self.row_totals[row]
        return None if cell is None or not total else cell / total


def suppress(table: CountTable, threshold: int = DEFAULT_THRESHOLD) -> PublishedTable:
    """Hide every count in 1..threshold-1, then complements until no line has one unknown.

    The grid is the cells plus a totals column and a totals row (with the grand total at
    their corner): every line of it, across or down, is an equation "the entries sum to the
    last one". A line with exactly one hidden entry would give it away, so the smallest
    published non-zero entry of that line is hidden as well, until nothing changes.
    """
    counts = table.counts
    n_rows, n_cols = len(table.rows), len(table.columns)
    grid = [[*row, sum(row)] for row in counts]
    grid.append([sum(col) for col in zip(*grid, strict=True)] if grid else [0] * (n_cols + 1))
    hidden = [[0 < v < threshold for v in line] for line in grid]
    lines = [[(r, c) for c in range(n_cols + 1)] for r in range(n_rows + 1)] + [
        [(r, c) for r in range(n_rows + 1)] for c in range(n_cols + 1)
    ]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(hidden[r][c] for r, c in line) == 1 and _hide_smallest(grid, hidden, line):
                changed = True
    everything = [(r, c) for r in range(n_rows + 1) for c in range(n_cols + 1)]
    while (pinned := determined(hidden)) is not None:
        own = [line for line in lines if pinned in line]
        hid = any(_hide_smallest(grid, hidden, line) for line in own)
        if not hid and not _hide_smallest(grid, hidden, everything):
            break  # every non-zero entry is hidden already

    def value(r: int, c: int) -> int | None:
        return None if hidden[r][c] else grid[r][c]

    return PublishedTable(
        title=table.title,
        rows=table.rows,
        columns=table.columns,
        cells=[[value(r, c) for c in range(n_cols)] for r in range(n_rows)],
        row_totals=[value(r, n_cols) for r in range(n_rows)],
        column_totals=[value(n_rows, c) for c in range(n_cols)],
        total=value(n_rows, n_cols),
        threshold=threshold,
        hidden=sum(map(sum, hidden)),
    )


Cell = tuple[int, int]


def _hide_smallest(grid: list[list[int]], hidden: list[list[bool]], line: list[Cell]) -> bool:
    """Hide the smallest published non-zero entry of ``line``; False if there is none."""
    shown = [(grid[r][c], r, c) for r, c in line if not hidden[r][c] and grid[r][c] > 0]
    if not shown:
        return False
    _, r, c = min(shown)
    hidden[r][c] = True
    return True


def determined(hidden: list[list[bool]]) -> Cell | None:
    """A hidden entry whose value follows from the published ones, or None.

    Negate the totals and every line of the grid sums to zero: the grid is a bipartite graph
    (a node per row line and per column line, an edge per entry) carrying a circulation, and
    the hidden entries are the unknown edges. Around a cycle of hidden edges the values can
    move by one either way (each is at least 1: zeros are never hidden), so an entry on a cycle
    is not disclosed; an entry on no cycle (a bridge) is fixed by the lines it separates.
    """
    edges = [(r, c) for r, row in enumerate(hidden) for c, h in enumerate(row) if h]
    for cell in edges:
        if not _on_a_cycle(cell, edges):
            return cell
    return None


def _on_a_cycle(cell: Cell, edges: list[Cell]) -> bool:
    """Whether row ``cell[0]`` still reaches column ``cell[1]`` through the other edges."""
    others = [e for e in edges if e != cell]
    seen_rows, seen_cols = {cell[0]}, set()
    frontier = [("r", cell[0])]
    while frontier:
        side, node = frontier.pop()
        for r, c in others:
            if side == "r" and r == node and c not in seen_cols:
                if c == cell[1]:
                    return True
                seen_cols.add(c)
                frontier.append(("c", c))
            elif side == "c" and c == node and r not in seen_rows:
                seen_rows.add(r)
                frontier.append(("r", r))
    return False
