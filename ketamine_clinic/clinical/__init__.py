"""The clinical core: rules and arithmetic as plain, typed Python, with no Django import.

Every number here cites its source. Callers (the Django apps) pass plain values in and get
plain values (or dataclasses) out.
"""
