"""Every small archive on a grid of rounding boundaries, paged with every small page size.

The grid holds, for three consecutive seconds ``T``, the instants ``T.000000``,
``T.000001``, ``T.499999``, ``T.500000`` and ``T.999999``: each side of the rounding point
and of the inclusive ``before``. Every multiset of up to five messages on it (15,504
archives, repetitions standing for bursts within one microsecond) is paged with page sizes
1 to 4 against caps equal to the page size, one above it, 50, and one below it, without and
with an upper bound in the middle second, and each run must keep the promises that
``check_exactly_once`` asserts.
"""

from __future__ import annotations

import itertools
from collections import Counter

from archive_model import US, ModelServer, check_exactly_once, distinct

T0 = 1_700_000_000
GRID = [(T0 + s) * US + f for s in range(3) for f in (0, 1, 499_999, 500_000, 999_999)]


def outcome(server: ModelServer, page_size: int, upper: int | None) -> str:
    server.requests.clear()
    run = check_exactly_once(server, page_size, upper)
    if run.stall is not None:
        return "stall"
    return "doubt" if run.pager.doubt else "exact"


def test_every_archive_of_up_to_five_messages_on_the_rounding_grid():
    tally: Counter[tuple[str, str]] = Counter()
    for n in range(6):
        for times in itertools.combinations_with_replacement(GRID, n):
            archive = distinct(list(times))
            for page_size in (1, 2, 3, 4):
                for cap in {page_size, page_size + 1, 50, max(page_size - 1, 1)}:
                    server = ModelServer(archive, cap)
                    relation = "above cap" if page_size > cap else "within cap"
                    for upper in (None, T0 + 1):
                        tally[relation, outcome(server, page_size, upper)] += 1
    # The runs are all there, and each kind of ending was reached (so each was checked).
    assert sum(tally.values()) == 15_504 * (4 * 3 + 3) * 2
    assert set(tally) == {
        (relation, end)
        for relation in ("within cap", "above cap")
        for end in ("exact", "stall", "doubt")
    }
