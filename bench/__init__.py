"""Benchmarks, one runnable script each (see README, "Benchmarks")."""
