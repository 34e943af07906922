"""The rule catalogue: one YAML file per rule, shipped in the wheel as auditor.builtin_rules."""
