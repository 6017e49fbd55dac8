"""Worked example: tidspbridge DMM map objects and their contract (dmm.kspec); see docs/oracle.md."""
