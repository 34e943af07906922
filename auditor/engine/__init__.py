"""The engine: the rule catalogue, evidence lookup, named checks and evaluation.

Takes a snapshot (plain data) and the rules; gives findings. Never imports collect, so
every audit re-runs offline from a saved snapshot.
"""
