"""explicit"""
