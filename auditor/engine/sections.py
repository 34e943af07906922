"""The guide's sections, in the order the guide walks through them."""

from __future__ import annotations

from typing import NamedTuple


class Section(NamedTuple):
    key: str
    title: str
    where: str


SECTIONS: tuple[Section, ...] = (
    Section("connection", "Install and connect", "Intercom > App Store > Salesforce"),
    Section("api_usage", "Manage API usage", "Salesforce app settings > Manage API usage"),
    Section(
        "lead_contact_sync",
        "Sync lead and contact data",
        "Salesforce app settings > Sync lead and contact data",
    ),
    Section("cases", "Set up cases", "Salesforce app settings > Set up cases"),
    Section(
        "ownership",
        "Maintain lead and account ownership",
        "Salesforce app settings > Maintain lead and account ownership",
    ),
    Section("account_sync", "Sync Account data", "Salesforce app settings > Sync Account data"),
    Section("roi_reporting", "ROI reporting", "Salesforce app settings > ROI reporting"),
    Section("attestation", "Audit evidence", "The settings file given to the auditor"),
)

SECTION_BY_KEY = {section.key: section for section in SECTIONS}
SECTION_ORDER = {section.key: index for index, section in enumerate(SECTIONS)}
