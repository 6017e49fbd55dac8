"""Worked example: a dmaengine-style channel and its contract (channel.kspec); see docs/oracle.md."""
