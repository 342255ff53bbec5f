"""Tests of ``services``."""
