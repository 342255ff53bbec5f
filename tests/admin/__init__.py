"""Tests of ``admin``."""
