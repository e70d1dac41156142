"""The networks of the one-pass methods."""
