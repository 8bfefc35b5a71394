"""Backtests: replay a proposed contract on the workspace's own history before adopting it.

Its own package rather than ``analytics/backtest.py``: a backtest *writes* —
a scratch store, replayed stage moves per contract — while analytics only
reads; and it has three reasons to change (the scratch copy, the replay, the
metrics and the threshold sweep), each a module here.
"""
