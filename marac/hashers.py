"""Argon2 at its smallest costs, for the test environment only (settings.PASSWORD_HASHERS)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """The algorithm and stored format production uses, at costs a test run can afford: Django's
    (100 MiB, 8 lanes, 2 passes) take about a second a hash on CI's two cores and starve the
    other leg of CPU, and the suite signs in thousands of times. Never configured outside
    MARAC_ENV=test (tests/marac/test_settings.py checks production's)."""

    time_cost = 1
    memory_cost = 8  # KiB: Argon2's least for one lane
    parallelism = 1
