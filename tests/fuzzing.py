"""Hypothesis profiles for the property-based fuzz tests (tests/test_fuzz*.py).

`make test` runs the short "ci" profile (a few dozen examples each, no example database, derandomized so a run is
repeatable); `make fuzz` runs the "fuzz" profile (SUARA_FUZZ_PROFILE=fuzz: thousands of examples each, examples
that failed kept in .cache/hypothesis and tried first next time) and then the atheris harnesses
(scripts/fuzz_atheris.py) for FUZZ_S seconds each.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from tests.conftest import CACHE

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
"""The fixtures these tests take (an app, a server) are shared on purpose by all examples of one test."""

settings.register_profile("ci", max_examples=40, deadline=None, database=None, derandomize=True,
                          suppress_health_check=_SLOW_OK)
settings.register_profile("fuzz", max_examples=int(os.environ.get("SUARA_FUZZ_EXAMPLES", 3000)), deadline=None,
                          database=DirectoryBasedExampleDatabase(str(CACHE / "hypothesis")),
                          suppress_health_check=_SLOW_OK, print_blob=True)
settings.load_profile(os.environ.get("SUARA_FUZZ_PROFILE", "ci"))
