"""Shared plumbing with no domain: what every Cordon app uses and none of them owns.

`core` sits below every app in the layering (DESIGN.md): it imports none of them.
"""
