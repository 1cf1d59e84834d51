"""The benchmark: stages and the end-to-end path timed against a naive pipeline."""
