"""Sharing under TLP 2.0: sharing groups, STIX 2.1 exports and the TAXII 2.1 server."""
