"""Marvin32, the seeded hash .NET uses for string hashing and Microsoft uses to checksum identifiable keys.

Pure Python so checksums can be verified offline without a .NET runtime. The algorithm follows
microsoft/security-utilities (`Marvin.cs`, `marvin.rs`), itself taken from dotnet/runtime and SymCrypt:
little-endian 32-bit words, each mixed by two rounds of a rotate/add/xor block, then a 0x80-terminated tail.
`compute_hash32` folds the 64-bit result the way `Marvin.ComputeHash32` does (high half XOR low half) and
returns it as a signed 32-bit int, like C#'s `int`; use `& 0xFFFFFFFF` or `checksum_bytes` for the raw bits.
"""

from __future__ import annotations

import struct

MASK32 = 0xFFFFFFFF


def seed_from_tag(tag: str) -> int:
    """The 64-bit seed for an 8-character ASCII tag ("Default0" -> 0x44656661756c7430).

    Mirrors `IdentifiableSecrets.ComputeHisV1ChecksumSeed`: the tag's bytes read as a big-endian integer.
    """
    data = tag.encode("ascii")
    if len(data) != 8:
        raise ValueError(f"a checksum seed tag has 8 ASCII characters, not {len(data)}: {tag!r}")
    return int.from_bytes(data, "big")


def _block(p0: int, p1: int) -> tuple[int, int]:
    """One Marvin mixing round (rotate-left amounts 20, 9, 27, 19)."""
    p1 ^= p0
    p0 = ((p0 << 20) | (p0 >> 12)) & MASK32
    p0 = (p0 + p1) & MASK32
    p1 = ((p1 << 9) | (p1 >> 23)) & MASK32
    p1 ^= p0
    p0 = ((p0 << 27) | (p0 >> 5)) & MASK32
    p0 = (p0 + p1) & MASK32
    p1 = ((p1 << 19) | (p1 >> 13)) & MASK32
    return p0, p1


def compute_hash(data: bytes, seed: int, offset: int = 0, length: int | None = None) -> int:
    """The 64-bit Marvin hash of data[offset:offset+length], as an unsigned int (p1 << 32 | p0)."""
    if length is None:
        length = len(data) - offset
    if offset < 0 or length < 0 or offset + length > len(data):
        raise ValueError(f"offset {offset} + length {length} is outside the {len(data)}-byte buffer")
    view = memoryview(data)[offset : offset + length]
    p0 = seed & MASK32
    p1 = (seed >> 32) & MASK32
    whole = length - length % 4
    tail = bytes(view[whole:])
    # The remaining 0..3 bytes, little-endian, followed by a 0x80 terminator byte: one more word.
    words = [word for (word,) in struct.iter_unpack("<I", view[:whole])]
    words.append(int.from_bytes(tail + b"\x80", "little"))
    mask = MASK32
    for word in words:
        p0 = (p0 + word) & mask
        # _block, inlined: checksums run once per candidate and per seed, so this loop is the scan's hot path.
        p1 ^= p0
        p0 = ((p0 << 20) | (p0 >> 12)) & mask
        p0 = (p0 + p1) & mask
        p1 = ((p1 << 9) | (p1 >> 23)) & mask
        p1 ^= p0
        p0 = ((p0 << 27) | (p0 >> 5)) & mask
        p0 = (p0 + p1) & mask
        p1 = ((p1 << 19) | (p1 >> 13)) & mask
    p0, p1 = _block(p0, p1)  # the final word gets a second round
    return (p1 << 32) | p0


def compute_hash32(data: bytes, seed: int, offset: int = 0, length: int | None = None) -> int:
    """`Marvin.ComputeHash32`: the 64-bit hash's halves XORed, as a signed 32-bit int (C# `int`)."""
    value = compute_hash(data, seed, offset, length)
    folded = ((value >> 32) ^ value) & MASK32
    return folded - (1 << 32) if folded & 0x80000000 else folded


def checksum_bytes(data: bytes, seed: int) -> bytes:
    """The 4 bytes an identifiable key stores: `BitConverter.GetBytes(ComputeHash32(...))`, little-endian."""
    return (compute_hash32(data, seed) & MASK32).to_bytes(4, "little")
