"""Named Python checks for the rules that compare values across systems.

Most rules are pure data (see rules/); these are the few that need arithmetic,
dates or matching across Salesforce and Intercom.
"""

from auditor.checks.activity import activities_flowing, no_recent_account_writes
from auditor.checks.api_usage import limit_within_org_allowance
from auditor.checks.attestation import attestation_age
from auditor.checks.base import Check, CheckInput, Outcome
from auditor.checks.connection import integration_user_admin_rights, recent_intercom_token
from auditor.checks.contacts import duplicate_emails, share_without_email
from auditor.checks.teammates import teammates_mapped

CHECKS: dict[str, Check] = {
    check.__name__: check
    for check in (
        limit_within_org_allowance,
        duplicate_emails,
        share_without_email,
        activities_flowing,
        no_recent_account_writes,
        recent_intercom_token,
        integration_user_admin_rights,
        teammates_mapped,
        attestation_age,
    )
}

__all__ = ["CHECKS", "CheckInput", "Outcome"]
