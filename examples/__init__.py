"""Example snapshots and settings, shipped in the wheel as auditor.examples for `auditor demo`."""
