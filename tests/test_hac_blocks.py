"""HAC sums of blocks joined at their seams, in any order, against the streamed sums."""

import itertools

import numpy as np
import pytest

from lingrad._inference_hac import HACSums
from lingrad._inference_hac_blocks import Segment, _cross, _insert


@pytest.mark.parametrize("L", [0, 1, 3, 12])
def test_segments_joined_in_any_order_give_the_sums_of_all_rows(L, rng):
    scores = rng.standard_normal((200, 2, 3))
    cuts = np.unique(np.r_[0, rng.integers(1, 200, 25), 200])  # blocks of 1 to ~40 rows
    segs = [Segment.of(int(a), scores[a:b], L) for a, b in itertools.pairwise(cuts)]
    whole = HACSums(L, 2, 3)
    whole._lags(scores, L)
    for order in (rng.permutation(len(segs)), np.arange(len(segs))[::-1]):
        merged: list[Segment] = []
        for i in order:
            merged = _insert(merged, segs[i], L)
        assert len(merged) == 1 and merged[0].start == 0 and merged[0].n == 200
        np.testing.assert_allclose(merged[0].meat, whole.meat, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(merged[0].head, scores[:L])
        np.testing.assert_array_equal(merged[0].tail, scores[200 - L :] if L else scores[:0])


def test_segments_that_do_not_meet_stay_apart_and_cross_terms_need_both_ends(rng):
    scores = rng.standard_normal((30, 1, 2))
    a, c = Segment.of(0, scores[:10], 4), Segment.of(20, scores[20:], 4)
    assert [s.start for s in _insert([c], a, 4)] == [0, 20]
    assert not _cross(scores[:0], scores[10:14], 4).any()
