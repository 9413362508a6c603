"""What each action of the pack does to the world: the one classification of all actions.

The contract test (tests/contract/test_action_effects.py) holds every action YAML to it: every
action that changes or sends anything takes ``dry_run``; destructive, emailing, silencing and
paging actions default it to true; every changing action returns the shared change result
(``apis.results``). The README catalog shows each action's effect and real dry_run default.
"""

from __future__ import annotations

import enum
from collections import Counter
from typing import Dict


class Effect(enum.Enum):
    """What running an action (not dry) does."""

    READ_ONLY = "read-only"
    CHANGING = "changing"
    DESTRUCTIVE = "destructive"
    EMAILING = "emailing"  # sends people a message: email, a Jira comment, a chat reminder
    SILENCING = "silencing"
    PAGING = "paging"

    @property
    def needs_dry_run(self) -> bool:
        """Whether the action must take ``dry_run``."""
        return self is not Effect.READ_ONLY

    @property
    def dry_by_default(self) -> bool:
        """Whether ``dry_run`` must default to true."""
        return self not in (Effect.READ_ONLY, Effect.CHANGING)


_BY_EFFECT = {
    Effect.READ_ONLY: """
        accounts.list alertmanager.silence.list flavor.search floating.ip.list hello
        hypervisor.drain.plan hypervisor.drain.report hypervisor.find.empty
        hypervisor.find.reinstall.candidates hypervisor.search icinga.search image.search
        network.check.routers openstack.cloud.info openstack.search project.search quota.show
        role.assignments.list server.list server.search server.time.in.state user.search
    """,
    Effect.CHANGING: """
        flavor.create flavor.project.access.add floating.ip.allocate group.user.add
        hypervisor.service.enable hypervisor.test.server image.decommission.mark
        image.share.to.project jira.request_new_project network.create network.rbac.share
        project.create project.group.role.add project.user.role.add quota.set router.create
        security.group.rule.add server.create server.snapshot server.start
    """,
    Effect.DESTRUCTIVE: """
        flavor.project.access.remove floating.ip.release group.user.remove hypervisor.drain
        hypervisor.drain.workflow hypervisor.maintenance.resume hypervisor.maintenance.start
        hypervisor.maintenance.step hypervisor.patch.reboot hypervisor.post.reboot
        hypervisor.service.disable hypervisor.shutdown.servers project.delete
        project.group.role.remove project.user.role.remove server.delete server.migrate
        server.migrate.batch server.reboot server.shutoff ssh.remote.command
    """,
    Effect.EMAILING: """
        chatops.pr_reminder check.stale.servers check.unused.floating.ips
        email.mailing.list.image.created email.mailing.list.image.decommissioned
        email.ops.down.disabled.hypervisors email.test email.users.with.decom.flavors
        email.users.with.decom.images email.users.with.errored.vms
        email.users.with.shutoff.vms email.users.with.vms.on.hypervisor jira.comment
        jira.transition
    """,
    Effect.SILENCING: """
        alertmanager.silence.create alertmanager.silence.remove hypervisor.downtime
        hypervisor.downtime.remove icinga.downtime.remove icinga.downtime.schedule
    """,
    Effect.PAGING: """
        check.image.shares check.old.volume.snapshots check.open.security.groups check.orphans
        check.unusable.flavors
        jira.create.task jira.finding.ticket
    """,
}

_LISTED = [(name, effect) for effect, names in _BY_EFFECT.items() for name in names.split()]

EFFECTS: Dict[str, Effect] = dict(_LISTED)
"""Action name (without the pack ref) -> its effect."""

LISTED_TWICE = sorted(name for name, count in Counter(n for n, _ in _LISTED).items() if count > 1)
"""Actions listed under more than one effect (must stay empty)."""

SEARCHES = frozenset("""
    openstack.search server.search server.list user.search project.search flavor.search
    image.search hypervisor.search floating.ip.list role.assignments.list
    alertmanager.silence.list icinga.search hypervisor.find.reinstall.candidates
    """.split())
"""The read-only actions that are searches: they return the rows of one kind of object that
the caller's filter parameters select, so they return the shared search result
(``apis.search_results``: rows, count, output_type, output, hint) and take ``output_type``.

Every search also takes ``webhook``: given one, the search sends (it POSTs its rows to that
StackStorm webhook, whose rule may act on them), so every search takes ``dry_run``, true by
default as for every sending action, holding back only the post (the action runtime's:
lib/action_runtime/search_webhook.py).

Read-only actions that are not searches return one record or a verdict, not filtered rows:
accounts.list (the pack config's account sections), hello, openstack.cloud.info and
quota.show (one record), hypervisor.drain.plan and hypervisor.drain.report (a plan or report
of one drain), network.check.routers and server.time.in.state (a check against a policy
with its parameters echoed), hypervisor.find.empty (a fixed-policy finder). The check.*
actions page (open tickets), so they are not read-only.
"""
