"""What the Salesforce collector asks, and how the asks are grouped into requests.

A REST Composite request carries up to 5 queries (and other subrequests, such as an
sObject describe, up to 25 in all) and counts as one API call. A collection sends, in
two rounds:

- round 1, all at once: the Composite "access" (the auditing user's permissions, the
  Intercom OAuth tokens, the first page of active users, the organization, Case record
  types), the Composite "records" (Lead and Contact totals and duplicate emails,
  Intercom's package licence, the Lead and Contact describes) and one Tooling API query
  (the active validation rules);
- round 2, once the tokens are known, one Composite Batch request (up to 25 subrequests,
  with no query limit): the integration users, the Tasks and Accounts they created,
  their login state, their field permissions on the mapped fields, the active duplicate
  rules and, only when the org's active users do not fit on one page, the users whose
  email or username matches what Intercom and the settings name.

docs/salesforce.md lists each of them with the Salesforce documentation it rests on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote_plus, urlencode

from auditor.collect import UserKeys
from auditor.documents.snapshot import DUPLICATE_EMAILS_COUNTED, timestamp

BATCH_SUBREQUESTS_MAX = 25  # subrequests Salesforce allows in one Composite Batch request
USERS_PAGE = 2000  # the most records one query answer holds
DUPLICATES_READ = DUPLICATE_EMAILS_COUNTED  # per object; a count at it is a floor
# Salesforce refuses a request whose URI and headers exceed 16,384 bytes; half of that
# for a subrequest's URL leaves room for headers (the limit is not documented for the
# URLs inside a Composite body, so the same one is assumed).
QUERY_URL_MAX = 8192
SALESFORCE_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
# The permissions UserPermissionAccess reports, by the names audited_as stores them under.
PERMISSIONS = {
    "api_enabled": "PermissionsApiEnabled",
    "view_setup": "PermissionsViewSetup",
    "customize_application": "PermissionsCustomizeApplication",
    "manage_users": "PermissionsManageUsers",
    "view_all_data": "PermissionsViewAllData",
}


@dataclass(frozen=True)
class Query:
    """One read: a SOQL query (`api` "query"), a Tooling API query ("tooling"), an
    sObject describe ("describe") or the org's limits ("limits")."""

    ref: str  # the Composite referenceId, and the key of the answer
    sobject: str  # the object read, named in reasons
    soql: str = ""
    follow_pages: bool = True  # False: the first page is all that is wanted
    api: str = "query"

    def url(self, version: str) -> str:
        base = f"/services/data/v{version}"
        if self.api == "describe":
            return f"{base}/sobjects/{self.sobject}/describe"
        if self.api == "limits":
            return f"{base}/limits"
        resource = "tooling/query" if self.api == "tooling" else "query"
        return f"{base}/{resource}/?{urlencode({'q': self.soql})}"


# The objects Intercom writes to, whose active validation rules can reject what it writes.
VALIDATED_OBJECTS = ("Lead", "Contact", "Task", "Case")
SYNCED_OBJECTS = ("Lead", "Contact")  # where Intercom's field mappings land
# A Salesforce API name (Title, Score__c, ns__Score__c): anything else goes into no query.
FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
LIMITS = Query("limits", "GET /limits", api="limits")


def _email_queries(sobject: str, scope: str) -> list[Query]:
    where = f" WHERE {scope}" if scope else ""
    and_scope = f"{scope} AND " if scope else ""
    key = sobject.lower()
    return [
        Query(f"{key}_totals", sobject,
              f"SELECT COUNT(Id) total, COUNT(Email) withEmail FROM {sobject}{where}"),
        Query(f"{key}_duplicates", sobject,
              f"SELECT Email, COUNT(Id) records FROM {sobject} WHERE {and_scope}Email != null "
              f"GROUP BY Email HAVING COUNT(Id) > 1 ORDER BY COUNT(Id) DESC "
              f"LIMIT {DUPLICATES_READ}"),
    ]


_ACTIVE_STANDARD = "IsActive = true AND UserType = 'Standard'"


def access_queries() -> list[Query]:
    """Round 1: who audits and what they may see, and what the tokens depend on."""
    return [
        Query("permissions", "UserPermissionAccess",
              f"SELECT {', '.join(PERMISSIONS.values())} FROM UserPermissionAccess"),
        Query("tokens", "OauthToken",
              "SELECT AppName, UserId, LastUsedDate, UseCount FROM OauthToken "
              "WHERE AppName LIKE '%intercom%'"),  # LIKE ignores case in SOQL
        # One more than a page: a page that says it is done holds every active user.
        Query("users", "User", f"SELECT Username, Email FROM User WHERE {_ACTIVE_STANDARD} "
                               f"LIMIT {USERS_PAGE + 1}", follow_pages=False),
        Query("org", "Organization",
              "SELECT Id, Name, OrganizationType, IsSandbox, InstanceName FROM Organization"),
        Query("record_types", "RecordType",
              "SELECT Id, Name, DeveloperName FROM RecordType "
              "WHERE SobjectType = 'Case' AND IsActive = true"),
    ]


def record_queries() -> list[Query]:
    """Round 1: counts over Leads and Contacts, Intercom's managed package, and the Lead
    and Contact describes (subrequests that are not queries)."""
    return [
        *_email_queries("Lead", "IsConverted = false"),
        *_email_queries("Contact", ""),
        Query("packages", "PackageLicense",
              "SELECT NamespacePrefix, Status FROM PackageLicense "
              "WHERE NamespacePrefix LIKE '%intercom%'"),
        *(Query(f"{sobject.lower()}_describe", sobject, api="describe")
          for sobject in SYNCED_OBJECTS),
    ]


def validation_rule_query() -> Query:
    """Round 1, through the Tooling API: the org's active validation rules (the objects
    they belong to are picked from the answer)."""
    return Query("validation_rules", "ValidationRule",
                 "SELECT ValidationName, EntityDefinition.QualifiedApiName FROM ValidationRule "
                 "WHERE Active = true", api="tooling")


def duplicate_rule_query() -> Query:
    return Query("duplicate_rules", "DuplicateRule",
                 "SELECT SobjectType, DeveloperName, MasterLabel FROM DuplicateRule "
                 f"WHERE IsActive = true AND SobjectType IN ({_listed(SYNCED_OBJECTS)})")


def _listed(values: Iterable[str]) -> str:
    return ", ".join(soql_text(value) for value in values)


def integration_queries(user_ids: Sequence[str], since: datetime,
                        mapped_fields: Sequence[str] = ()) -> list[Query]:
    """Round 2: the token users with every permission set they hold (the profile's
    included), their writes, their login state, and what their permission sets grant on
    the mapped fields, never more of FieldPermissions than that."""
    if not user_ids:
        return []
    ids = ", ".join(f"'{i}'" for i in user_ids)
    created = f"CreatedById IN ({ids}) AND CreatedDate >= {timestamp(since)}"
    queries = [
        Query("integration_users", "User",
              "SELECT Id, Username, Email, IsActive, Profile.Name, "
              "Profile.PermissionsModifyAllData, (SELECT PermissionSetId, PermissionSet.Name, "
              "PermissionSet.IsOwnedByProfile, PermissionSet.PermissionsModifyAllData FROM "
              f"PermissionSetAssignments) FROM User WHERE Id IN ({ids})"),
        *(Query(f"{sobject.lower()}s_created", sobject,
                f"SELECT COUNT(Id) total FROM {sobject} WHERE {created}")
          for sobject in ("Task", "Account")),
        Query("user_logins", "UserLogin",
              f"SELECT UserId, IsFrozen, IsPasswordLocked FROM UserLogin WHERE UserId IN ({ids})"),
    ]
    fields = field_names(mapped_fields)
    if fields:
        queries.append(Query(
            "field_permissions", "FieldPermissions",
            "SELECT ParentId, Field, PermissionsRead, PermissionsEdit FROM FieldPermissions "
            "WHERE ParentId IN (SELECT PermissionSetId FROM PermissionSetAssignment WHERE "
            f"AssigneeId IN ({ids})) AND Field IN "
            f"({_listed(f'{o}.{f}' for o in SYNCED_OBJECTS for f in fields)})"))
    return queries


def field_names(mapped_fields: Iterable[str]) -> list[str]:
    """The mapped Salesforce fields that can be asked for by name, once each."""
    return sorted({f for f in mapped_fields if FIELD_NAME.fullmatch(f)}, key=str.lower)


def token_user_ids(user_ids: Iterable[str]) -> list[str]:
    # Only well-formed Ids go into SOQL: nothing an API answer holds can change a query.
    return sorted({i for i in user_ids if SALESFORCE_ID.fullmatch(i)})


# --- users matching Intercom's teammates ---------------------------------------------

def soql_text(value: str) -> str:
    """A quoted SOQL string literal; the quote and the backslash are the reserved ones."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _usable(key: str) -> bool:
    # No email or username holds a control character; leaving such a key out keeps it
    # from needing the escapes SOQL has for them.
    return bool(key) and all(ch.isprintable() for ch in key)


def matching_user_queries(keys: UserKeys, version: str) -> list[Query]:
    """Active standard users whose Email or Username is one of `keys`, in as many
    queries as it takes for each URL to stay within QUERY_URL_MAX."""
    wanted = sorted({("Email", k) for k in keys.emails if _usable(k)}
                    | {("Username", k) for k in keys.usernames if _usable(k)})
    chunks: list[list[tuple[str, str]]] = []
    # Percent-encoding works character by character, so a URL's length is the sum of
    # its parts' encoded lengths: the query around the lists, and each listed value.
    frame = len(_matching([("Email", "x"), ("Username", "x")], 0).url(version))
    separator = len(quote_plus(", "))
    size = frame
    for item in wanted:
        grows = len(quote_plus(soql_text(item[1]))) + separator
        if chunks and size + grows <= QUERY_URL_MAX:
            chunks[-1].append(item)
            size += grows
        else:
            chunks.append([item])
            size = frame + grows
    return [_matching(chunk, n) for n, chunk in enumerate(chunks)]


def _matching(chunk: list[tuple[str, str]], n: int) -> Query:
    lists = [f"{name} IN ({', '.join(soql_text(v) for f, v in chunk if f == name)})"
             for name in ("Email", "Username") if any(f == name for f, _ in chunk)]
    return Query(f"matching_users_{n}", "User",
                 f"SELECT Username, Email FROM User WHERE {_ACTIVE_STANDARD} "
                 f"AND ({' OR '.join(lists)})")


def batches(queries: Sequence[Query]) -> list[list[Query]]:
    """The queries grouped into Composite Batch requests."""
    return [list(queries[i:i + BATCH_SUBREQUESTS_MAX])
            for i in range(0, len(queries), BATCH_SUBREQUESTS_MAX)]
