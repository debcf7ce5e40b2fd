"""Shared fixtures: the shipped bank is loaded once per test session."""

import pytest

from quizgen.bank import load_bank


@pytest.fixture(scope="session")
def bank():
    return load_bank()


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny tensors: intra-op threads only add overhead (on a busy 2-core machine, 300x)."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
