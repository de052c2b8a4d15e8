"""Topograph's Dash UI: layout, ids, pure figure builders and thin callbacks.

All science comes from :mod:`compute`; nothing here computes on arrays beyond picking
what to draw.
"""
