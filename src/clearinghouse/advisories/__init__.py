"""Advisories: CSAF 2.0 documents drafted from vulnerabilities and cases, and their distribution."""
