"""The append-only, hash-chained audit log: `append` in every state change, `verify` to check."""

from clearinghouse.audit.chain import SYSTEM_ACTOR, ChainReport, append, digest, verify

__all__ = ["SYSTEM_ACTOR", "ChainReport", "append", "digest", "verify"]
