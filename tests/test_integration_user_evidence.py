"""connection.integration_user: the OAuth token decides; app events and packages are shown.

Intercom's activity log (app_events, over a window) and Salesforce's installed packages
never turn a missing token into a pass: the integration lives in Intercom and needs no
package, and an install older than the window leaves no event. They say more about
what a missing token means.
"""

from __future__ import annotations

from typing import Any

from auditor.engine.evaluate import Finding
from tests.snapshots import ITEM_UNAVAILABLE, SKIPPED, changed, compliant_snapshot, run, validated

RULE = "connection.integration_user"
NO_TOKEN = {"salesforce.intercom_tokens": [], "salesforce.integration_users": [],
            "salesforce.integration_activity": {
                "status": "unavailable", "reason": "no Intercom OAuth token was found"}}
EVENTS = "intercom.app_events.events"
INSTALLED = {"type": "app_package_installation", "created_at": "2026-09-02T14:21:09Z",
             "performed_by": "jane@acme.example", "app_name": "Salesforce"}
UNINSTALLED = {"type": "app_package_uninstallation", "created_at": "2026-10-05T08:00:00Z",
               "performed_by": "omar@acme.example",
               "description": "Omar Haddad uninstalled the Salesforce app."}
NOT_CONNECTED = ("Salesforce holds no OAuth token of an app named like Intercom: the integration "
                 "is not connected.")
INSTALL_SEEN = ("Intercom's activity log shows the Salesforce app installed on 2026-09-02 by "
                "j***@acme.example, with no uninstall since.")
PACKAGE = {"name": "Intercom for Salesforce", "namespace": "icom", "version": "1.4.0"}


def finding(changes: dict[str, Any], *, show_emails: bool = False) -> Finding:
    return run(RULE, validated(changed(compliant_snapshot(), changes)), show_emails=show_emails)


def test_no_token_but_installed_and_not_uninstalled_still_fails() -> None:
    result = finding(NO_TOKEN)
    assert (result.status, result.message) == ("fail", f"{NOT_CONNECTED} {INSTALL_SEEN} The app "
                                               "looks installed in Intercom while its "
                                               "connection into Salesforce is gone: reconnect it.")
    assert result.evidence["salesforce_app_events"] == [INSTALLED]


def test_no_token_after_an_uninstall_says_so() -> None:
    result = finding({**NO_TOKEN, EVENTS: [INSTALLED, UNINSTALLED]})
    assert result.status == "fail"
    assert "the Salesforce app uninstalled on 2026-10-05 by o***@acme.example." in result.message
    assert "reconnect" not in result.message


def test_no_event_in_the_window_is_not_read_as_not_installed() -> None:
    slack = {"type": "app_package_installation", "created_at": "2026-10-01T00:00:00Z",
             "description": "Jane Doe installed the Slack app."}
    result = finding({**NO_TOKEN, EVENTS: [slack]})
    assert result.status == "fail"
    assert ("Intercom's activity log shows no install or uninstall of the Salesforce app in the "
            "last 365 days (no install event seen; it may have been installed before).") \
        in result.message
    assert result.evidence["salesforce_app_events"] == []


def test_without_app_events_the_token_alone_speaks() -> None:
    for unread in ({"intercom.app_events": ITEM_UNAVAILABLE}, {"intercom": SKIPPED}):
        result = finding({**NO_TOKEN, **unread})
        assert (result.status, result.message) == ("fail", NOT_CONNECTED)
        assert [p.source for p in result.provenance] == ["salesforce", "salesforce"]


def test_an_install_event_never_stands_in_for_unreadable_tokens() -> None:
    result = finding({"salesforce.intercom_tokens": ITEM_UNAVAILABLE})
    assert result.status == "unknown"
    assert "activity log" not in result.message


def test_installed_packages_are_shown_beside_a_pass() -> None:
    result = finding({"salesforce.installed_packages": [PACKAGE]})
    connected = "Connected through 'Intercom' for user 0055g00000AbCdEAAZ, last used 2026-11-19."
    packaged = "Salesforce has a package named like Intercom installed: Intercom for Salesforce"
    assert (result.status, result.message) == ("pass",
                                               f"{connected} {INSTALL_SEEN} {packaged} (icom).")
    assert result.evidence["installed_packages"] == [PACKAGE]
    assert {p.path for p in result.provenance} == {
        "intercom_tokens", "installed_packages", "app_events"}


def test_who_installed_is_shown_in_full_only_when_asked() -> None:
    result = finding(NO_TOKEN, show_emails=True)
    assert "installed on 2026-09-02 by jane@acme.example, with no uninstall since" \
        in result.message
