"""The SOQL the Salesforce collector sends, and how the queries are grouped into requests.

A REST Composite request carries up to 5 queries and counts as one API call, so the
thirteen queries of a collection travel in three Composite requests, in two rounds:

- round 1, all at once: "access" (the auditing user's permissions, the Intercom OAuth
  tokens, the first page of active users, the organization, Case record types) and
  "records" (Lead and Contact totals and duplicate emails, Intercom's package licence);
- round 2, once the tokens are known: the integration users, the Tasks and Accounts
  they created and, only when the org's active users do not fit on one page, the users
  whose email or username matches what Intercom and the settings name.

docs/salesforce.md lists each query with the Salesforce documentation it rests on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote_plus, urlencode

from auditor.collect import UserKeys
from auditor.documents.snapshot import DUPLICATE_EMAILS_COUNTED, timestamp

COMPOSITE_QUERIES_MAX = 5  # query subrequests Salesforce allows in one Composite request
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
    ref: str  # the Composite referenceId, and the key of the answer
    sobject: str  # the object read, named in reasons
    soql: str
    follow_pages: bool = True  # False: the first page is all that is wanted

    def url(self, version: str) -> str:
        return f"/services/data/v{version}/query/?{urlencode({'q': self.soql})}"


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
    """Round 1: counts over Leads and Contacts, and Intercom's managed package."""
    return [
        *_email_queries("Lead", "IsConverted = false"),
        *_email_queries("Contact", ""),
        Query("packages", "PackageLicense",
              "SELECT NamespacePrefix, Status FROM PackageLicense "
              "WHERE NamespacePrefix LIKE '%intercom%'"),
    ]


def integration_queries(user_ids: Sequence[str], since: datetime) -> list[Query]:
    """Round 2: the token users, with what grants them Modify All Data, and their writes."""
    if not user_ids:
        return []
    ids = ", ".join(f"'{i}'" for i in user_ids)
    created = f"CreatedById IN ({ids}) AND CreatedDate >= {timestamp(since)}"
    return [
        Query("integration_users", "User",
              "SELECT Id, Username, Email, IsActive, Profile.Name, "
              "Profile.PermissionsModifyAllData, (SELECT PermissionSet.Name FROM "
              "PermissionSetAssignments WHERE PermissionSet.PermissionsModifyAllData = true "
              "AND PermissionSet.IsOwnedByProfile = false) FROM User "
              f"WHERE Id IN ({ids})"),
        *(Query(f"{sobject.lower()}s_created", sobject,
                f"SELECT COUNT(Id) total FROM {sobject} WHERE {created}")
          for sobject in ("Task", "Account")),
    ]


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
    """The queries grouped into Composite requests."""
    return [list(queries[i:i + COMPOSITE_QUERIES_MAX])
            for i in range(0, len(queries), COMPOSITE_QUERIES_MAX)]
