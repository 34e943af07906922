"""Collectors read what Salesforce and Intercom show and return snapshot sections."""


class SourceUnavailable(Exception):
    """A whole source could not be collected; the message is safe to show and store."""
