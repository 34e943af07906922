"""Auditor for Intercom's Salesforce integration."""

__version__ = "0.1.0"
TOOL_NAME = "intercom-sfdc-auditor"
# Where people read about the tool (SARIF informationUri); its page on the package index.
PROJECT_URL = "https://pypi.org/project/intercom-sfdc-auditor/"
