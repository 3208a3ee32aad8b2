"""Passwords: Argon2id hashes, verified without exceptions, rehashed when parameters age."""

from __future__ import annotations

from argon2 import PasswordHasher

from clearinghouse.identity.passwords import hash_password, needs_rehash, verify_password


def test_hashes_are_salted_argon2id() -> None:
    first = hash_password("correct horse battery staple")
    second = hash_password("correct horse battery staple")
    assert first.startswith("$argon2id$")
    assert first != second
    assert "correct horse" not in first


def test_verification() -> None:
    stored = hash_password("correct horse battery staple")
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "correct horse battery stapl")
    assert not verify_password(stored, "")
    assert not verify_password("not a hash", "correct horse battery staple")
    assert not verify_password("", "x")


def test_weaker_parameters_need_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("a long password")
    assert verify_password(weak, "a long password")
    assert needs_rehash(weak)
    assert not needs_rehash(hash_password("a long password"))
