"""hypervisor.maintenance.step / resume: the step of each state, the hold and the one ops email
(FakeCloud; Alertmanager, Icinga and SMTP replaced with autospec'd fakes)."""

import contextlib
from pathlib import Path
from unittest import mock

import pytest
import yaml

from openstack.compute.v2.service import Service

from apis.email_api.sender import SendReport
from tests.fakes.cloud import FakeCloud
from tests.result_schemas import check_result
from tests.unit.workflows.host_mute_fakes import patch_host_mute

# pylint: disable=unused-import
from tests.unit.workflows.test_hypervisor_maintenance_start import (  # noqa: F401
    MAINTENANCE,
    fixture_pinned_now,
    fixture_relay,
    hypervisor,
    server,
)

# pylint: enable=unused-import
from workflows import email_common, hypervisor_maintenance
from workflows.hypervisor_drain import DrainError
from workflows.hypervisor_maintenance import (
    STEP_FOR_STATE,
    MaintenanceStepError,
    maintenance_step,
    parse_step,
)

PACK = Path(__file__).resolve().parents[3]
ALERTMANAGER = {"name": "default", "url": "http://am.example.org:9093"}


def cloud_with(status="disabled", reason=MAINTENANCE, servers=1):
    """hv1 (up 10 days) holding ``servers`` servers."""
    hv1 = hypervisor("hv1", 10, status, reason)
    return FakeCloud(
        hypervisors=[hv1],
        services=[
            Service(
                id="svc-hv1",
                host="hv1",
                binary="nova-compute",
                status=status,
                disabled_reason=reason,
                state="up",
            )
        ],
        servers=[server(f"web-{n}", "hv1", "u-alice") for n in range(servers)],
    )


@pytest.fixture(name="accounts")
def fixture_accounts(relay):
    """The accounts maintenance_step takes (Alertmanager and SSH never reached)."""
    from apis.alertmanager_api.account import AlertmanagerAccount
    from apis.ssh_api.account import SSHAccount

    return {
        "smtp_account": relay,
        "alertmanager_account": AlertmanagerAccount.from_config(ALERTMANAGER),
        "ssh_account": SSHAccount.from_config(
            {
                "name": "hypervisors",
                "username": "root",
                "private_key_file": "/keys/id",
                "known_hosts_file": "/keys/known_hosts",
            }
        ),
        "ops_mailing_list": "ops@example.org",
    }


def fake_smtp(monkeypatch):
    """Replace the SMTP send (signature-checked): every email accepted."""

    def send(smtp_account, emails, dry_run=True, **_):
        report = SendReport(smtp_account=smtp_account.name, dry_run=dry_run)
        for message in emails:
            report.messages += 1
            report.record_sent(message, {})
        return report

    sender = mock.create_autospec(email_common.send_emails, side_effect=send)
    monkeypatch.setattr(email_common, "send_emails", sender)
    return sender


def test_a_step_name_not_in_the_chain_is_refused_with_the_valid_ones():
    with pytest.raises(MaintenanceStepError, match=r"step 'reboot' .* drain, patch\.reboot"):
        parse_step("reboot")


@pytest.mark.parametrize("state", sorted(STEP_FOR_STATE))
def test_each_chain_rule_runs_the_step_of_its_state(state):
    rules = [yaml.safe_load(p.read_text("utf-8")) for p in (PACK / "rules").glob("*.yaml")]
    (rule,) = [
        r
        for r in rules
        if (r.get("criteria") or {}).get("trigger.current", {}).get("pattern") == state
    ]
    assert rule["action"]["ref"] == "cloudops.hypervisor.maintenance.step"
    assert rule["action"]["parameters"]["step"] == STEP_FOR_STATE[state].value


def test_resume_of_an_enabled_host_names_the_resumable_states(accounts):
    cloud = cloud_with(status="enabled", reason=None, servers=0)
    with pytest.raises(MaintenanceStepError, match="no chain step to resume .*PENDING_MAINT"):
        maintenance_step(cloud, "hv1", **accounts, dry_run=False)


def test_a_failed_step_holds_the_host_and_emails_ops_once(monkeypatch, accounts):
    cloud = cloud_with()
    drain = mock.create_autospec(
        hypervisor_maintenance.drain_hypervisor,
        side_effect=DrainError("drain of hv1: 1 of 1 server(s) not moved", report={"x": 1}),
    )
    monkeypatch.setattr(hypervisor_maintenance, "drain_hypervisor", drain)
    sender = fake_smtp(monkeypatch)
    with contextlib.ExitStack() as stack:
        mute = patch_host_mute(stack)
        mute["list_silences"].return_value = {"rows": []}
        mute["create_silence"].return_value = {"id": "sil-1", "matchers": []}
        with pytest.raises(MaintenanceStepError) as err:
            maintenance_step(cloud, "hv1", **accounts, dry_run=False)  # resumes: drain
    assert str(err.value).startswith("maintenance of hv1 stopped at step drain: drain of hv1")
    assert "cloudops.hypervisor.maintenance.resume" in str(err.value)
    report = err.value.report
    assert report["step"] == "drain" and report["step_report"] == {"x": 1}
    assert report["held"] == {
        "errors": [],
        "disabled": False,
        "silences": ["sil-1"],
        "downtimes": [],
    }
    (emails,) = [call.args[1] for call in sender.call_args_list]
    (email,) = emails
    assert email.subject.endswith("Maintenance of hv1 stopped at drain")
    assert "How to continue" in email.text and "DrainError" in email.text


def test_post_reboot_done_emails_ops_that_it_finished(monkeypatch, accounts):
    cloud = cloud_with(servers=0)
    done = {"changed": True, "objects": [], "nothing_to_do": False, "dry_run": False}
    post = mock.create_autospec(hypervisor_maintenance.post_reboot, return_value=done)
    monkeypatch.setattr(hypervisor_maintenance, "post_reboot", post)
    sender = fake_smtp(monkeypatch)
    result = maintenance_step(cloud, "hv1", **accounts, step="post.reboot", dry_run=False)
    # what hypervisor.maintenance.resume step=post.reboot returns (step's output_schema too)
    check_result("hypervisor.maintenance.resume", result)
    ops = result["ops_email"] or {}
    assert result["step"] == "post.reboot" and ops["template"] == "ops_hypervisor_maintenance"
    (emails,) = [call.args[1] for call in sender.call_args_list]
    assert [e.subject.endswith("Maintenance of hv1 finished") for e in emails] == [True]
