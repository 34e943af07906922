"""Named Python checks for the rules that compare values across systems.

Most rules are pure data (see rules/); these are the few that need arithmetic,
dates or matching across Salesforce and Intercom.
"""

from auditor.engine.checks.activity import activities_flowing, no_recent_account_writes
from auditor.engine.checks.api_usage import limit_within_org_allowance
from auditor.engine.checks.attestation import attestation_age
from auditor.engine.checks.base import Check, CheckInput, Outcome
from auditor.engine.checks.connection import integration_user_admin_rights, recent_intercom_token
from auditor.engine.checks.contacts import duplicate_emails, share_without_email
from auditor.engine.checks.teammates import teammates_mapped

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
