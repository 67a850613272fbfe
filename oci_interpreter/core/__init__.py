"""Core: errors, config, paths, the model catalog and store. Imports nothing above it."""
