"""Helpers shared by several apps. Nothing here imports an app of ketamine_clinic."""
