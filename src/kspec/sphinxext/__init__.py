"""Sphinx extension rendering kspec specs."""
