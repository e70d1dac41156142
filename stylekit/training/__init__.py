"""Trainers for the networks of the one-pass methods (shared parts in :mod:`.common`)."""
