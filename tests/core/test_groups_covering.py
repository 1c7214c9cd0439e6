"""core.pagination.groups_covering: which groups of a list sorted group by group hold a slice."""

import pytest

from core.pagination import groups_covering

GROUPS = [(["a"], 3), (["b", "b2"], 0), (["c", "c2"], 2), (["d"], 4)]  # rows: aaa cc dddd
ROWS = ["a", "a", "a", "c", "c", "d", "d", "d", "d"]


@pytest.mark.parametrize("start", range(11))
@pytest.mark.parametrize("stop", [*range(11), None])
def test_the_groups_read_hold_the_slice_and_no_other_row(start, stop):
    keys, before = groups_covering(GROUPS, start, stop)
    rows = [row for row in ROWS if row in {key[0] for key in keys}]  # the list, read for those keys only
    assert rows[start - before : None if stop is None else max(stop - before, 0)] == ROWS[start:stop]
    wanted = set(ROWS[start:stop])
    assert {key[0] for key in keys} == wanted  # nothing read that the slice does not show
    assert "b" not in keys  # an empty group is never read


def test_a_group_of_keys_is_read_whole():
    assert groups_covering(GROUPS, 4, 6) == (["c", "c2", "d"], 3)
    assert groups_covering(GROUPS, 9, None) == ([], 9)
    assert groups_covering([], 0, 10) == ([], 0)
