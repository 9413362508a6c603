"""The email notification actions end to end: the seeded devcloud, the local runner (a fresh
interpreter on StackStorm's production path) and real mail through aiosmtpd (STARTTLS+AUTH).

Every query is limited to the seed's projects so that other tests' servers do not count.
"""

from __future__ import annotations

import collections
import datetime
from pathlib import Path
from typing import Dict, List

import pytest
import requests
import yaml

from apis import clock
from apis.email_api.account import SMTPAccount
from workflows import email_users
from workflows.email_common import Delivery
from tests.integration.action_run import action_result, run_action, same_changes

pytestmark = pytest.mark.integration

SEED_PROJECTS = ["seed-data", "seed-lab", "seed-ops", "seed-web"]
DESK = "desk@example.org"
OPS = "cloud-ops@example.org"
USERS_LIST = "cloud-users@example.org"


@pytest.fixture(name="pack_config")
def fixture_pack_config(smtp_server, tmp_path) -> Path:
    """A pack config whose default SMTP account is the session's aiosmtpd."""
    config = {
        "smtp_accounts": [
            smtp_server.account(from_address="Cloud Team <cloud@example.org>", reply_to=DESK),
            {
                "name": "wrong-password",
                "host": smtp_server.host,
                "port": smtp_server.port,
                "username": smtp_server.username,
                "password": "wrong-Pa55word-31c",
                "ca_file": str(smtp_server.ca_file),
                "from_address": "cloud@example.org",
            },
        ],
        "ops_mailing_list": OPS,
        "users_mailing_list": USERS_LIST,
        "email_footer": {"team_name": "Devcloud Team", "support_email": DESK},
    }
    path = tmp_path / "cloudops.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def seed_owners(seeded_cloud, predicate) -> Dict[str, List[str]]:
    """Seed user name -> sorted names of the seed servers passing ``predicate``."""
    owners: Dict[str, List[str]] = collections.defaultdict(list)
    for name, server in seeded_cloud["servers"].items():
        if predicate(server):
            owners[server["user"]].append(name)
    return {user: sorted(names) for user, names in owners.items()}


def emails_of(seeded_cloud, users) -> Dict[str, str]:
    """Email address -> user name, for the users that have one."""
    return {
        seeded_cloud["users"][u]["email"]: u for u in users if seeded_cloud["users"][u]["email"]
    }


def text_of(part) -> str:
    """A text part's content with CRLF line ends as newlines."""
    return part.get_content().replace("\r\n", "\n")


def scope() -> str:
    """The from_projects parameter."""
    return "from_projects=" + ",".join(SEED_PROJECTS)


def test_shutoff_vms_real_send_with_cc_and_csv(seeded_cloud, clouds_yaml, smtp_server, pack_config):
    owners = seed_owners(seeded_cloud, lambda s: s["status"] == "SHUTOFF")
    addresses = emails_of(seeded_cloud, owners)
    before = len(smtp_server.messages)
    code, answer, printed = run_action(
        pack_config,
        "email.users.with.shutoff.vms",
        f"cloud_account={clouds_yaml.cloud}",
        scope(),
        f"cc={DESK}",
        "attach_csv=true",
        "dry_run=false",
    )
    assert code == 0, printed
    result = answer["result"]
    assert result["affected_servers"] == sum(len(v) for v in owners.values())
    without = {u: names for u, names in owners.items() if not seeded_cloud["users"][u]["email"]}
    assert {u["user_name"]: u["servers"] for u in result["users_without_email"]} == without
    assert "seed-dave" in without
    received = smtp_server.messages[before:]
    assert sorted(m.rcpt_tos[0] for m in received) == sorted(addresses)
    for mail in received:
        user = addresses[mail.rcpt_tos[0]]
        assert mail.rcpt_tos == (mail.rcpt_tos[0], DESK)
        assert mail.message["Cc"] == DESK and mail.message["Reply-To"] == DESK
        body, attachment = mail.message.get_payload()
        text, html = body.get_payload()
        assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
        for server in owners[user]:
            assert server in text_of(text) and server in html.get_content()
        assert "Devcloud Team" in text_of(text)
        rows = text_of(attachment).splitlines()
        assert rows[0].startswith("id,name,status,project_name")
        assert sorted(r.split(",")[1] for r in rows[1:]) == owners[user]
    assert sorted(result["sent_recipients"]) == sorted([*addresses, *[DESK] * len(addresses)])
    assert smtp_server.password not in printed


def test_errored_vms_dry_run_sends_nothing(seeded_cloud, clouds_yaml, smtp_server, pack_config):
    owners = seed_owners(seeded_cloud, lambda s: s["status"] == "ERROR")
    before = len(smtp_server.messages)
    code, answer, printed = run_action(
        pack_config,
        "email.users.with.errored.vms",
        f"cloud_account={clouds_yaml.cloud}",
        scope(),
    )
    assert code == 0, printed
    result = answer["result"]
    assert result["dry_run"] is True and result["sent"] == []
    previews = {p["label"]: p for p in result["previews"]}
    assert set(previews) == {u for u in owners if seeded_cloud["users"][u]["email"]}
    for user, preview in previews.items():
        assert all(server in preview["text"] for server in owners[user])
        assert "ERROR state" in preview["subject"]
    assert len(smtp_server.messages) == before


def test_decom_flavors_uses_one_user_and_one_project_listing(
    seeded_cloud, lib_conn, smtp_server, monkeypatch
):
    key = seeded_cloud["decommission_key"]
    retiring = {
        n: f["extra_specs"][key]
        for n, f in seeded_cloud["flavors"].items()
        if key in f["extra_specs"]
    }
    owners = seed_owners(seeded_cloud, lambda s: s["flavor"] in retiring)
    calls: List[str] = []
    send = requests.Session.send

    def counting(session, request, **kwargs):
        calls.append(f"{request.method} {request.url}")
        return send(session, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", counting)
    before = len(smtp_server.messages)
    account = SMTPAccount.from_config(
        {
            "name": "peer",
            "host": smtp_server.host,
            "port": smtp_server.port,
            "username": smtp_server.username,
            "password": smtp_server.password,
            "ca_file": str(smtp_server.ca_file),
            "from_address": "cloud@example.org",
        }
    )
    result = email_users.email_users_with_decom_flavors(
        lib_conn, Delivery(account, dry_run=False), from_projects=SEED_PROJECTS
    )
    keystone = [c for c in calls if ":5000/" in c and "/auth/tokens" not in c]
    listings = [c for c in keystone if c.endswith(("/v3/users", "/v3/projects"))]
    assert sorted(c.rsplit("/", 1)[1] for c in listings) == ["projects", "users"], keystone
    assert not [c for c in keystone if "/v3/users/" in c], keystone
    assert result["retiring_flavors"] == sorted(retiring)
    received = {m.rcpt_tos[0]: m.message for m in smtp_server.messages[before:]}
    assert sorted(received) == sorted(emails_of(seeded_cloud, owners))
    for address, message in received.items():
        user = emails_of(seeded_cloud, owners)[address]
        text = text_of(message.get_payload()[0])
        assert all(server in text for server in owners[user])
        assert all(f"{name} on {date}" in text for name, date in retiring.items())


def test_decom_images_and_vms_on_hypervisor_dry_runs(seeded_cloud, clouds_yaml, pack_config):
    key = seeded_cloud["decommission_key"]
    images = {n for n, i in seeded_cloud["images"].items() if key in i["properties"]}
    code, answer, printed = run_action(
        pack_config,
        "email.users.with.decom.images",
        f"cloud_account={clouds_yaml.cloud}",
        scope(),
    )
    assert code == 0, printed
    result = answer["result"]
    assert set(result["retiring_images"]) == images
    owners = seed_owners(seeded_cloud, lambda s: s["image"] in images)
    assert {p["label"] for p in result["previews"]} == {
        u for u in owners if seeded_cloud["users"][u]["email"]
    }
    assert "seed-dave" in {u["user_name"] for u in result["users_without_email"]}

    host = "compute1"
    on_host = seed_owners(seeded_cloud, lambda s: s["host"] == host)
    code, answer, printed = run_action(
        pack_config,
        "email.users.with.vms.on.hypervisor",
        f"cloud_account={clouds_yaml.cloud}",
        f"hypervisor_name={host}",
        "notice=fault",
        "start=2026-11-25T03:10:00Z",
        "end=2026-11-25T18:00:00Z",
        "reason=failed power supply",
        scope(),
    )
    assert code == 0, printed
    result = answer["result"]
    assert result["template"] == "hypervisor_fault" and result["hypervisor"] == host
    previews = {p["label"]: p for p in result["previews"]}
    assert set(previews) == {u for u in on_host if seeded_cloud["users"][u]["email"]}
    for user, preview in previews.items():
        assert all(server in preview["text"] for server in on_host[user])
        assert (
            "failed power supply" in preview["text"] and "2026-11-25 18:00 UTC" in preview["text"]
        )
    code, answer, printed = run_action(
        pack_config,
        "email.users.with.vms.on.hypervisor",
        f"cloud_account={clouds_yaml.cloud}",
        "hypervisor_name=compute9",
        "start=2026-12-01",
        "all_projects=true",
    )
    assert code == 1 and answer["result"]["error_type"] == "NotificationParameterError"
    assert "valid choices: compute1, compute2" in answer["result"]["error"]


def test_ops_hypervisors_email_goes_to_the_ops_list(clouds_yaml, smtp_server, pack_config):
    before = len(smtp_server.messages)
    code, answer, printed = run_action(
        pack_config,
        "email.ops.down.disabled.hypervisors",
        f"cloud_account={clouds_yaml.cloud}",
        "dry_run=false",
    )
    assert code == 0, printed
    result = answer["result"]
    assert result["total_hypervisors"] >= 2
    (mail,) = smtp_server.messages[before:]
    assert mail.rcpt_tos == (OPS,)
    subject = mail.message["Subject"]
    if result["all_clear"]:
        assert result["hypervisors"] == [] and "All clear" in subject
    else:
        assert f"{len(result['hypervisors'])} hypervisor" in subject


def test_mailing_list_image_announcements(seeded_cloud, clouds_yaml, smtp_server, pack_config):
    before = len(smtp_server.messages)
    code, answer, printed = run_action(
        pack_config,
        "email.mailing.list.image.created",
        f"cloud_account={clouds_yaml.cloud}",
        "image=seed-cirros",
        "notes=Small and quick to boot.",
        "dry_run=false",
    )
    assert code == 0, printed
    assert answer["result"]["image"]["id"] == seeded_cloud["images"]["seed-cirros"]["id"]
    (mail,) = smtp_server.messages[before:]
    assert mail.rcpt_tos == (USERS_LIST,)
    assert mail.message["Subject"] == f"[{clouds_yaml.cloud}] New image available: seed-cirros"
    assert "Small and quick to boot." in text_of(mail.message.get_payload()[0])

    date = seeded_cloud["images"]["seed-legacy-os"]["properties"][seeded_cloud["decommission_key"]]
    code, answer, printed = run_action(
        pack_config,
        "email.mailing.list.image.decommissioned",
        f"cloud_account={clouds_yaml.cloud}",
        f"image={seeded_cloud['images']['seed-legacy-os']['id']}",
        "replacement=seed-cirros",
    )
    assert code == 0, printed
    (preview,) = answer["result"]["previews"]
    assert (
        preview["subject"]
        == f"[{clouds_yaml.cloud}] Image seed-legacy-os will be retired on {date}"
    )
    assert "Please use seed-cirros instead." in preview["text"]


def test_email_test_action_with_bcc_and_attachment(smtp_server, pack_config):
    before = len(smtp_server.messages)
    send = (
        "email.test",
        "to=me@example.org",
        "cc=you@example.org",
        "bcc=audit@example.org",
        "attach_sample_csv=true",
        "sent_by=integration test",
    )
    planned = action_result(pack_config, *send)
    assert planned["dry_run"] and len(smtp_server.messages) == before
    code, answer, printed = run_action(pack_config, *send, "dry_run=false")
    assert code == 0, printed
    assert answer["result"]["changed"] and same_changes(planned, answer["result"])
    (mail,) = smtp_server.messages[before:]
    assert mail.rcpt_tos == ("me@example.org", "you@example.org", "audit@example.org")
    assert mail.message["Bcc"] is None and mail.message["Cc"] == "you@example.org"
    body, attachment = mail.message.get_payload()
    assert "Sent by:      integration test" in text_of(body.get_payload()[0])
    assert attachment.get_filename() == "sample.csv"
    assert answer["result"]["sent_recipients"] == list(mail.rcpt_tos)


def test_override_sends_every_notification_to_one_address(
    seeded_cloud, clouds_yaml, smtp_server, pack_config
):
    owners = seed_owners(seeded_cloud, lambda s: s["status"] == "SHUTOFF")
    before = len(smtp_server.messages)
    notify = (
        "email.users.with.shutoff.vms",
        f"cloud_account={clouds_yaml.cloud}",
        scope(),
        "override_email_address=me@example.org",
        f"cc={DESK}",
    )
    planned = action_result(pack_config, *notify)
    code, answer, printed = run_action(pack_config, *notify, "dry_run=false")
    assert code == 0, printed
    assert same_changes(planned, answer["result"]) and answer["result"]["changed"]
    missing = len(planned["users_without_email"])
    assert len(planned["objects"]) == planned["messages"] == len(owners) - missing > 0
    received = smtp_server.messages[before:]
    assert {m.rcpt_tos for m in received} == {("me@example.org",)}
    intended = sorted(m.message["X-Cloudops-Intended-Recipients"] for m in received)
    assert intended == sorted(f"{a}, {DESK}" for a in emails_of(seeded_cloud, owners))
    assert answer["result"]["override_email_address"] == "me@example.org"


def test_wrong_smtp_password_fails_cleanly(clouds_yaml, smtp_server, pack_config):
    before = len(smtp_server.messages)
    code, answer, printed = run_action(
        pack_config,
        "email.users.with.errored.vms",
        f"cloud_account={clouds_yaml.cloud}",
        scope(),
        "smtp_account=wrong-password",
        "dry_run=false",
    )
    assert code == 1
    assert answer["result"]["error_type"] == "MailServerAuthError"
    assert "smtp account 'wrong-password'" in answer["result"]["error"]
    assert "wrong-Pa55word-31c" not in printed
    assert len(smtp_server.messages) == before


def test_stale_servers_count_back_from_as_of_on_nova(
    seeded_cloud, clouds_yaml, lib_conn, smtp_server, pack_config
):
    """The seed's servers are minutes old, so as_of moves "now" instead of their updated_at:
    days=30 before (newest update + 30 days) finds them all and emails their owners, days=30
    before (oldest update + 30 days - 1 minute) finds none (nova's changes-before)."""
    updated = [
        clock.parse(s.updated_at)
        for s in lib_conn.compute.servers(all_projects=True)
        if s.name in seeded_cloud["servers"]
    ]
    days = 30

    def stale(as_of, *extra):
        code, answer, printed = run_action(
            pack_config,
            "check.stale.servers",
            f"cloud_account={clouds_yaml.cloud}",
            scope(),
            f"days={days}",
            f"as_of={as_of.isoformat()}",
            *extra,
        )
        assert code == 0, printed
        return answer["result"]

    too_early = stale(min(updated) + datetime.timedelta(days=days, minutes=-1))
    assert too_early["affected_servers"] == 0 and too_early["messages"] == 0
    owners = seed_owners(seeded_cloud, lambda s: True)
    addresses = emails_of(seeded_cloud, owners)
    before = len(smtp_server.messages)
    result = stale(max(updated) + datetime.timedelta(days=days, minutes=1), "dry_run=false")
    assert result["affected_servers"] == len(seeded_cloud["servers"]) and result["changed"]
    received = smtp_server.messages[before:]
    assert sorted(m.rcpt_tos[0] for m in received) == sorted(addresses)
    for mail in received:
        text = text_of(mail.message.get_payload()[0])
        assert all(name in text for name in owners[addresses[mail.rcpt_tos[0]]])
        assert f"not changed for {days} days" in mail.message["Subject"]


def test_unused_floating_ips_email_the_project_contact(
    seeded_cloud, clouds_yaml, admin_conn, throwaway_project, smtp_server, pack_config
):
    """A fresh unattached floating IP in a project with a contact: as_of moves "now" past its
    updated_at + days (a real email to the contact) and just short of it (nothing)."""
    contact = f"contact-{throwaway_project.project_name}@example.org"
    admin_conn.identity.update_project(throwaway_project.project_id, email=contact)
    public = seeded_cloud["networks"]["seed-public"]["id"]
    fip = admin_conn.network.create_ip(
        floating_network_id=public, project_id=throwaway_project.project_id
    )
    try:
        changed, days = clock.parse(fip.updated_at), 7

        def unused(as_of, *extra):
            code, answer, printed = run_action(
                pack_config,
                "check.unused.floating.ips",
                f"cloud_account={clouds_yaml.cloud}",
                f"from_projects={throwaway_project.project_name}",
                f"days={days}",
                f"as_of={as_of.isoformat()}",
                *extra,
            )
            assert code == 0, printed
            return answer["result"]

        too_early = unused(changed + datetime.timedelta(days=days, minutes=-1))
        assert too_early["affected_floating_ips"] == 0 and too_early["messages"] == 0
        before = len(smtp_server.messages)
        result = unused(changed + datetime.timedelta(days=days, minutes=1), "dry_run=false")
        assert result["affected_floating_ips"] == 1 and result["changed"] is True
        assert result["projects_without_contact"] == []
        (mail,) = smtp_server.messages[before:]
        assert mail.rcpt_tos == (contact,)
        assert fip.floating_ip_address in text_of(mail.message.get_payload()[0])
        assert throwaway_project.project_name in mail.message["Subject"]
    finally:
        admin_conn.network.delete_ip(fip)
