"""Read-only questions asked of the store: funnel, channels, conversion.

Each function returns plain rows; front ends decide how to show them.
"""
