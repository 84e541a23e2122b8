"""Test helpers that are plain modules (no pytest), usable by benchmarks too."""
