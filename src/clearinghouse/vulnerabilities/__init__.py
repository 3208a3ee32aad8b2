"""vulnerabilities"""
