"""Traffic Light Protocol 2.0 labels, and how to read the spellings found in the wild."""

from __future__ import annotations

from enum import StrEnum

from clearinghouse.identity.errors import UnknownTlpLabel


class Tlp(StrEnum):
    """The five TLP 2.0 labels, stored under these exact values (see `identity.policy`)."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"

    @classmethod
    def parse(cls, text: str) -> Tlp:
        """Read a label case-insensitively, with or without "TLP:"; TLP 1.0's WHITE is CLEAR."""
        name = text.strip().upper()
        if name.startswith("TLP:"):
            name = name[len("TLP:") :].strip()
        if name == "WHITE":
            return cls.CLEAR
        try:
            return cls(name)
        except ValueError:
            known = ", ".join(label.value for label in cls)
            raise UnknownTlpLabel(
                f"unknown TLP label {text!r}: expected one of {known} (or WHITE, read as CLEAR)"
            ) from None
