"""Readiness pipeline: ingest → validate → score → report for Indonesia's 514 kabupaten/kota."""

__version__ = "0.1.0"
