"""Shared fixtures: the shipped bank is loaded once per test session."""

import pytest

from quizgen.bank import load_bank


@pytest.fixture(scope="session")
def bank():
    return load_bank()
