"""Shared fixtures: the shipped bank is loaded once per test session; caches stay in a temporary folder."""

import os

import pytest

from quizgen.engine.bank import load_bank


@pytest.fixture(scope="session", autouse=True)
def private_cache_folder(tmp_path_factory):
    """Tests never read or write the user's cache folder (quizgen.cache); commands they start inherit this."""
    before = os.environ.get("QUIZGEN_CACHE_DIR")
    os.environ["QUIZGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        del os.environ["QUIZGEN_CACHE_DIR"]
    else:
        os.environ["QUIZGEN_CACHE_DIR"] = before


@pytest.fixture(autouse=True)
def shared_bytes_stay_intact(request):
    """No test leaves CPython's shared one-byte objects overwritten (quicktions did: quizgen.engine.fraction).

    A C extension that writes into ``b'\\x00'`` breaks every later byte read in the process
    (pypdf misread every PDF after one Moodle export); this names the test that did it.
    """
    yield
    overwritten = [code for code in range(256) if bytes([code])[0] != code]
    assert not overwritten, f"{request.node.nodeid} overwrote the interpreter's one-byte objects {overwritten}"


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
