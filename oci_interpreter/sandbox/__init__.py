"""Sandbox: runs model-written code in child processes under hard limits."""
