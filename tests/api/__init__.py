"""Tests of ``api``."""
