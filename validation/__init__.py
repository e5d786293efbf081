"""Simulation studies of the study's methods, run on demand (``make coverage``)."""
