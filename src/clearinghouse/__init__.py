"""Clearinghouse: a vulnerability clearinghouse and voluntary frontier-model review service."""

__version__ = "0.1.0"
