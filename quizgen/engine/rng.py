"""A variant's random generator: numpy's PCG64 stream, drawn in plain Python for the common draws.

Each variant draws from ``numpy.random.default_rng(SeedSequence([seed, crc32(id), index]))``.
Making that Generator costs more than the rest of a small variant (about 50 µs), and each
``rng.integers(0, n)`` another 5 µs, most of it call overhead. ``VariantRandom`` follows
the very same stream without numpy: SeedSequence's hash of the entropy, PCG64's 128-bit
step and XSL-RR output, its buffered 32-bit halves, Lemire's bounded integers, the
Fisher-Yates shuffle of ``permutation`` and Floyd's sampling of ``choice(n, replace=False)``, as
numpy's C code does them (numpy/random/bit_generator.pyx, src/pcg64, src/distributions).
Any other method (``random``, ``choice`` of a list...) makes the real Generator, with the state
reached so far, and goes on in numpy. So every draw is the same number as before, bit for
bit; tests/test_fast_eval.py checks that against numpy over many seeds.
"""

from __future__ import annotations

import numpy as np

_M32 = 0xFFFFFFFF
_M64 = (1 << 64) - 1
_M128 = (1 << 128) - 1
# SeedSequence's constants (pool of 4 words of 32 bits)
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_PCG_MULT = (2549297995355413924 << 64) | 4865540595714422341
_MAX_BOUND = 1 << 31  # larger ranges take numpy's other paths: left to numpy
_ANY_SEED = np.random.SeedSequence(0)


def _words(number: int) -> list[int]:
    """An entropy integer as SeedSequence reads it: 32-bit words, least significant first, [0] for 0."""
    if number == 0:
        return [0]
    words = []
    while number:
        words.append(number & _M32)
        number >>= 32
    return words


def _hash_constants(start: int, multiplier: int, count: int) -> list[int]:
    """SeedSequence's running hash constant does not depend on the data: its values, once."""
    constants = []
    for _ in range(count):
        constants.append(start)
        start = (start * multiplier) & _M32
    return constants


_MIX_PAIRS = [(s, d) for s in range(4) for d in range(4) if s != d]
_HASH_A = _hash_constants(_INIT_A, _MULT_A, 4 + 12 + 4 * 64)  # the pool, its mixing, up to 64 extra words
_HASH_B = _hash_constants(_INIT_B, _MULT_B, 8)


_POOL_HASH = [(h, (h * _MULT_A) & _M32) for h in _HASH_A[:4]]  # (hash constant, its multiplier) per step, worked out once
_MIX_STEPS = [(s, d, h, (h * _MULT_A) & _M32) for (s, d), h in zip(_MIX_PAIRS, _HASH_A[4:16])]
_EXTRA_HASH = [(h, (h * _MULT_A) & _M32) for h in _HASH_A[16:]]
_STATE_HASH = [(i & 3, h, (h * _MULT_B) & _M32) for i, h in enumerate(_HASH_B)]


def pcg64_start(entropy: list[int]) -> tuple[int, int]:
    """(state, increment) of ``PCG64(SeedSequence(entropy))`` for non-negative integers."""
    words = [w for number in entropy for w in _words(number)]
    if len(words) > 64:
        raise ValueError("entropy of more than 64 words")
    words += [0] * (4 - len(words))
    pool = []
    for word, (h, multiplier) in zip(words, _POOL_HASH):  # SeedSequence.mix_entropy: hash each word into the pool...
        value = ((word ^ h) * multiplier) & _M32
        pool.append(value ^ (value >> 16))
    for s, target, h, multiplier in _MIX_STEPS:  # ...then mix every pool word into every other...
        value = ((pool[s] ^ h) * multiplier) & _M32
        value ^= value >> 16
        mixed = (_MIX_L * pool[target] - _MIX_R * value) & _M32
        pool[target] = mixed ^ (mixed >> 16)
    constants = iter(_EXTRA_HASH)
    for word in words[4:]:  # ...and any further entropy word into each
        for target in range(4):
            h, multiplier = next(constants)
            value = ((word ^ h) * multiplier) & _M32
            value ^= value >> 16
            mixed = (_MIX_L * pool[target] - _MIX_R * value) & _M32
            pool[target] = mixed ^ (mixed >> 16)
    state_words = []
    for i, h, multiplier in _STATE_HASH:  # SeedSequence.generate_state(4, uint64)
        value = ((pool[i] ^ h) * multiplier) & _M32
        state_words.append(value ^ (value >> 16))
    seed = [state_words[2 * i] | (state_words[2 * i + 1] << 32) for i in range(4)]
    initial, sequence = (seed[0] << 64) | seed[1], (seed[2] << 64) | seed[3]
    increment = ((sequence << 1) | 1) & _M128  # pcg_setseq_128_srandom_r
    state = (increment + initial) & _M128
    return (state * _PCG_MULT + increment) & _M128, increment


class VariantRandom:
    """The variant's generator: bounded integers, permutations and distinct picks in Python, anything else through numpy."""

    __slots__ = ("_entropy", "_half", "_increment", "_numpy", "_state")

    def __init__(self, entropy: list[int]):
        self._entropy = entropy
        self._state: int | None = None  # PCG64's state, worked out at the first draw (a network's draws go to numpy at once)
        self._increment = 0
        self._half: int | None = None  # the upper 32 bits PCG64 keeps for its next 32-bit draw
        self._numpy: np.random.Generator | None = None

    def _next32(self) -> int:
        if self._half is not None:
            half, self._half = self._half, None
            return half
        if self._state is None:
            self._state, self._increment = pcg64_start(self._entropy)
        state = self._state = (self._state * _PCG_MULT + self._increment) & _M128
        rotation = state >> 122
        x = ((state >> 64) ^ state) & _M64
        output = ((x >> rotation) | (x << (64 - rotation))) & _M64
        self._half = output >> 32
        return output & _M32

    def below(self, n: int) -> int:
        """``int(rng.integers(0, n))``: Lemire's bounded draw from the 32-bit stream."""
        if self._numpy is not None or not 1 <= n <= _MAX_BOUND:
            return int(self.numpy().integers(0, n))
        if n == 1:
            return 0
        product = self._next32() * n
        if (product & _M32) < n:
            threshold = (_M32 - n + 1) % n
            while (product & _M32) < threshold:
                product = self._next32() * n
        return product >> 32

    def below_many(self, n: int, count: int) -> list[int]:
        """``rng.integers(0, n, size=count).tolist()``: the same draws, one after another."""
        return [self.below(n) for _ in range(count)]

    def _interval(self, top: int) -> int:
        """numpy's random_interval: a uniform integer from 0 to top, by masked rejection (for shuffles)."""
        if top == 0:
            return 0
        mask = (1 << top.bit_length()) - 1
        while True:
            value = self._next32() & mask
            if value <= top:
                return value

    def permutation(self, n: int) -> list[int]:
        """``rng.permutation(n).tolist()``: numpy's Fisher-Yates shuffle of 0..n-1."""
        if self._numpy is not None or not 1 <= n <= _MAX_BOUND:
            return self.numpy().permutation(n).tolist()
        items = list(range(n))
        self._shuffle(items)
        return items

    def _shuffle(self, items: list[int]) -> None:
        for i in reversed(range(1, len(items))):
            j = self._interval(i)
            items[i], items[j] = items[j], items[i]

    def distinct(self, n: int, size: int) -> list[int]:
        """``rng.choice(n, size=size, replace=False).tolist()``: numpy's Floyd sampling, then its Lemire shuffle (n up to 10,000)."""
        if self._numpy is not None or not 0 <= size <= n <= 10_000:
            return self.numpy().choice(n, size=size, replace=False).tolist()
        picked: list[int] = []
        chosen: set[int] = set()
        for j in range(n - size, n):
            value = self.below(j + 1)
            if value in chosen:
                value = j
            chosen.add(value)
            picked.append(value)
        for i in reversed(range(1, size)):
            j = self.below(i + 1)
            picked[i], picked[j] = picked[j], picked[i]
        return picked

    def numpy(self) -> np.random.Generator:
        """The numpy Generator at the state reached so far; from then on every draw goes through it."""
        if self._numpy is None and self._state is None:  # nothing drawn yet: numpy's own start
            self._numpy = np.random.default_rng(np.random.SeedSequence(self._entropy))
        if self._numpy is None:
            generator = np.random.Generator(np.random.PCG64(_ANY_SEED))  # its state is replaced at once
            generator.bit_generator.state = {
                "bit_generator": "PCG64",
                "state": {"state": self._state, "inc": self._increment},
                "has_uint32": int(self._half is not None),
                "uinteger": self._half or 0,
            }
            self._numpy = generator
        return self._numpy

    def __getattr__(self, name: str):
        return getattr(self.numpy(), name)
