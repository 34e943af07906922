"""Auditor for Intercom's Salesforce integration."""

__version__ = "0.1.0"
TOOL_NAME = "intercom-sfdc-auditor"
