"""Voluntary pre-release review of frontier models: submissions, windows, reviewers, partners."""
