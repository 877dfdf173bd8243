# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""Shared test configuration."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    # The tests fit small problems many times: BLAS threads only add overhead,
    # and on a busy machine oversubscribed threads make scipy's L-BFGS ten
    # times slower.
    with threadpool_limits(limits=1):
        yield
