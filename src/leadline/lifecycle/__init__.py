"""Stages: the agreed path Lead → MQL → SAL → SQL → Opportunity → Won/Lost.

``machine`` says which moves the contract allows, ``history`` reads the
append-only stage history as of a time, ``moves`` records manual moves and
dispositions, and ``auto`` applies the moves that follow from a score run or
from CRM facts (opportunities opened and closed).
"""
