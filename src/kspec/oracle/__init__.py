"""The conformance oracle: kspec specs as reference models in other projects' tests."""
