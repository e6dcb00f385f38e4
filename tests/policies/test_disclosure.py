"""Small-cell suppression: nothing under the threshold is published, nor can be worked out.

The attacker knows every published cell and total and that counts are non-negative; for each
hidden entry, linear programming finds the least and the greatest value consistent with that.
If they were equal the entry would be disclosed. The table's equations (lines summing to their
totals) have a totally unimodular matrix, so the bounds are integers and each is reached.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from policies.disclosure import CountTable, PublishedTable, suppress


def grid_of(table: PublishedTable) -> list[list[int | None]]:
    rows = [[*cells, total] for cells, total in zip(table.cells, table.row_totals, strict=True)]
    return [*rows, [*table.column_totals, table.total]]


def bounds(table: PublishedTable) -> dict[tuple[int, int], tuple[float, float]]:
    """The least and greatest value of each hidden entry given what is published."""
    grid = grid_of(table)
    unknown = [(r, c) for r, line in enumerate(grid) for c, v in enumerate(line) if v is None]
    if not unknown:
        return {}
    index = {rc: i for i, rc in enumerate(unknown)}
    n_rows, n_cols = len(grid) - 1, len(grid[0]) - 1
    lines = [[(r, c) for c in range(n_cols + 1)] for r in range(n_rows + 1)] + [
        [(r, c) for r in range(n_rows + 1)] for c in range(n_cols + 1)
    ]
    a_eq, b_eq = [], []
    for line in lines:
        *entries, last = line
        coefficients = np.zeros(len(unknown))
        rhs = 0.0
        for rc, sign in [*((e, 1.0) for e in entries), (last, -1.0)]:
            value = grid[rc[0]][rc[1]]
            if value is None:
                coefficients[index[rc]] += sign
            else:
                rhs -= sign * value
        if coefficients.any():
            a_eq.append(coefficients)
            b_eq.append(rhs)
    found = {}
    for rc, i in index.items():
        objective = np.zeros(len(unknown))
        objective[i] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0 and high.status in (0, 3)  # 3: unbounded, as safe as can be
        found[rc] = (low.fun, -high.fun if high.status == 0 else float("inf"))
    return found


def assert_safe(table: CountTable, published: PublishedTable) -> None:
    truth = [[*row, sum(row)] for row in table.counts]
    truth.append([sum(col) for col in zip(*truth, strict=True)])
    for r, line in enumerate(grid_of(published)):
        for c, value in enumerate(line):
            if value is not None:
                assert value == truth[r][c]
                assert value == 0 or value >= published.threshold  # nothing small is shown
    for (r, c), (low, high) in bounds(published).items():
        assert low <= truth[r][c] <= high
        assert high - low >= 1 - 1e-9, f"hidden entry {(r, c)} = {truth[r][c]} is determined"


def test_a_lone_small_cell_takes_a_complement_in_its_row_and_column() -> None:
    table = CountTable(
        title="DFW by Pell",
        rows=["Pell", "no Pell"],
        columns=["DFW", "completed"],
        counts=[[4, 40], [30, 300]],
    )
    published = suppress(table)
    assert published.cells == [[None, None], [None, None]]
    assert published.row_totals == [44, 330] and published.column_totals == [34, 340]
    assert_safe(table, published)


def test_large_cells_are_all_published_with_their_rates() -> None:
    table = CountTable(title="t", rows=["a", "b"], columns=["DFW", "completed"],
                       counts=[[12, 88], [30, 70]])  # fmt: skip
    published = suppress(table)
    assert published.hidden == 0 and published.rate(0, 0) == 0.12
    assert not published.all_hidden


def test_a_small_group_hides_its_total_and_everything_small_is_explained() -> None:
    table = CountTable(title="t", rows=["a"], columns=["DFW", "completed"], counts=[[2, 5]])
    published = suppress(table, threshold=10)
    assert published.total is None and published.all_hidden


def test_the_threshold_is_configurable() -> None:
    table = CountTable(title="t", rows=["a", "b"], columns=["x", "y"], counts=[[12, 88], [30, 70]])
    assert suppress(table, threshold=20).cells[0][0] is None


@settings(max_examples=800, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda n_cols: st.lists(
            st.lists(st.integers(0, 40), min_size=n_cols, max_size=n_cols), min_size=1, max_size=6
        )
    ),
    st.sampled_from([5, 10]),
)
def test_no_hidden_count_can_be_worked_out_from_what_is_published(
    counts: list[list[int]], threshold: int
) -> None:
    table = CountTable(title="t", rows=[f"r{i}" for i in range(len(counts))],
                       columns=[f"c{j}" for j in range(len(counts[0]))], counts=counts)  # fmt: skip
    assert_safe(table, suppress(table, threshold))


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="rows x columns"):
        CountTable(title="t", rows=["a"], columns=["x", "y"], counts=[[1]])
