"""map_traces: the shared wrapper keeps the data model and handles dask halos."""

from __future__ import annotations

import numpy as np
import pytest

import roadbed
from roadbed import conventions as cv
from roadbed.gpr._apply import check_engine, map_traces


def _running_sum(block, half=2):
    """Sum over a window of 2·half+1 traces (edges: what is there)."""
    out = np.zeros_like(block)
    n = block.shape[-2]
    for i in range(n):
        out[..., i, :] = block[..., max(0, i - half):i + half + 1, :].sum(axis=-2)
    return out


@pytest.fixture
def da():
    rng = np.random.default_rng(1)
    return roadbed.radargram(rng.standard_normal((3, 40, 16)).astype(np.float32), twt_ns=np.arange(16) * 0.5,
                             distance_m=np.arange(40) * 0.05, offset_m=[0.0, 0.075, 0.15], attrs={"frequency_hz": 4e8})


def test_result_keeps_coords_attrs_and_records_history(da):
    out = map_traces(da, lambda b: 2 * b, step="double", params={"factor": 2})
    np.testing.assert_array_equal(out.values, 2 * da.values)
    assert out.dims == da.dims and out.attrs["frequency_hz"] == 4e8
    np.testing.assert_array_equal(out[cv.OFFSET].values, da[cv.OFFSET].values)
    assert roadbed.history(out)[-1].endswith("double(factor=2)")
    assert roadbed.history(da) == []


def test_transposed_input_comes_back_in_its_own_order(da):
    flipped = da.transpose(cv.TWT, cv.CHANNEL, cv.TRACE)
    seen = []
    out = map_traces(flipped, lambda b: seen.append(b.shape) or b + 1, step="plus", params={})
    assert seen == [(3, 40, 16)]
    assert out.dims == flipped.dims
    np.testing.assert_array_equal(out.values, flipped.values + 1)


def test_dask_chunks_get_the_halo_their_window_needs(da):
    pytest.importorskip("dask")
    whole = map_traces(da, _running_sum, step="sum", params={})
    chunked = map_traces(da.chunk({cv.TRACE: 9}), _running_sum, step="sum", params={}, trace_halo=2)
    assert chunked.chunks is not None
    np.testing.assert_allclose(chunked.values, whole.values, rtol=1e-6)
    without = map_traces(da.chunk({cv.TRACE: 9}), _running_sum, step="sum", params={}, trace_halo=0)
    assert not np.allclose(without.values, whole.values)  # the halo is what makes the chunked result right
    line = map_traces(da.chunk({cv.TRACE: 9}), _running_sum, step="sum", params={}, trace_halo=-1)
    np.testing.assert_allclose(line.values, whole.values, rtol=1e-6)


def test_engine_names_are_checked():
    assert check_engine("numpy") == "numpy"
    with pytest.raises(ValueError, match="engine"):
        check_engine("cuda")
