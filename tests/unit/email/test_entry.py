"""The email.test action's lib function."""

import pytest

from apis.email_api.account import SMTPAccount
from apis.email_api.entry import send_test_email
from apis.email_api.exceptions import AddressError

RELAY = SMTPAccount.from_config(
    {"name": "relay", "host": "smtp.example.org", "from_address": "cloud@example.org"}
)


def test_dry_run_previews_the_test_email():
    result = send_test_email(
        RELAY,
        ["me@example.org"],
        cc=["you@example.org"],
        bcc=["audit@example.org"],
        reply_to="desk@example.org",
        message="Checking the relay.",
        sent_by="ops-bot",
        attach_sample_csv=True,
        email_footer={"team_name": "Ops", "support_url": None},
    )
    assert result["template"] == "test" and result["dry_run"] is True
    (preview,) = result["previews"]
    assert preview["to"] == ["me@example.org"] and preview["bcc"] == ["audit@example.org"]
    assert preview["reply_to"] == "desk@example.org"
    assert preview["subject"] == "Test email from Ops via relay"
    assert "Checking the relay." in preview["text"] and "Sent by:      ops-bot" in preview["text"]
    assert preview["attachments"][0]["filename"] == "sample.csv"


def test_default_message_and_bad_recipients():
    result = send_test_email(RELAY, ["me@example.org"])
    assert "No action is needed." in result["previews"][0]["text"]
    assert result["previews"][0]["attachments"] == []
    with pytest.raises(AddressError, match="^to: 'me' is not an email address"):
        send_test_email(RELAY, ["me"])
