"""Test configuration: hypothesis profiles (the one pytest configuration
place is setup.cfg's [tool:pytest])."""

import os

from hypothesis import HealthCheck, settings

# Deterministic CI profile: same examples every run, no deadline (numba
# compiles on first call), no example database written to disk.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Heavier, randomised profile for development: HYPOTHESIS_PROFILE=dev.
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
