"""Shared fixtures: the real instrument files in ../shared/data (skipped where absent)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
GPR_DATA = SHARED_DATA / "gpr"
CRACK_DATA = SHARED_DATA / "cracks"

# numba compiles on first call; hypothesis must not count that against a deadline
settings.register_profile(
    "roadbed",
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("roadbed")


@pytest.fixture(scope="session")
def gpr_data() -> Path:
    """Folder of real GPR files; skips the test where it is absent."""
    if not GPR_DATA.is_dir():
        pytest.skip(f"real GPR files not found at {GPR_DATA} (only on the project's development machines)")
    return GPR_DATA


@pytest.fixture(scope="session")
def crack_data() -> Path:
    """Folder of real crack photographs; skips the test where it is absent."""
    if not CRACK_DATA.is_dir():
        pytest.skip(f"real crack photographs not found at {CRACK_DATA}")
    return CRACK_DATA
