"""The kspec grammar (kspec.lark), shipped as package data."""
