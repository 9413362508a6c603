#!/usr/bin/env python3
"""Email benchmark: 1,000 affected servers owned by 500 users, one email per user.

Prints, measured in this same run:

(a) recipients on the devcloud (skipped with ``--no-cloud``): wall time and keystone calls of
    the shutoff-servers notification's owner lookup over all projects. Target: at most 2
    keystone calls (one user listing, one project listing), whatever the number of servers.
(b) render + send: a synthetic query result of 1,000 servers owned by 500 users is grouped
    by owner, rendered (Jinja2, CSS inlined, MIME) and sent with the email api over one
    STARTTLS+AUTH connection to a local aiosmtpd running in another process; the floor is
    the same 500 messages, pre-rendered to bytes, sent by plain smtplib over one connection.
    Alternated ``--repeat`` times; medians. Target: ratio <= 1.3.

The SMTP server checks that every run delivered each recipient exactly once. Exits 1 when a
target is missed or a delivery is wrong.

    .venv/bin/python benchmarks/email_bench.py [--cloud devcloud] [--repeat 5] [--no-cloud]
"""

from __future__ import annotations

import bench_env  # first: the project's .venv, lib/ on sys.path, the devcloud
import argparse
import collections
import contextlib
import datetime
import multiprocessing
import os
import secrets
import smtplib
import ssl
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

from apis.email_api.account import SMTPAccount
from apis.email_api.sender import send_emails
from workflows.email_common import owner_email, owner_emails
from workflows.email_recipients import group_by_owner

SERVERS = 1000
USERS = 500
PROJECTS = 50
RATIO_TARGET = 1.3
KEYSTONE_TARGET = 2
SMTP_USER = "bench-mailer"
VARIABLES = {"cloud_name": "bench", "older_than_days": 90}


# ---------------------------------------------------------------------- the SMTP server process
class _Counter:
    """aiosmtpd handler and authenticator that counts deliveries per recipient."""

    def __init__(self, password: str):
        self.credentials = (SMTP_USER.encode(), password.encode())
        self.lock = threading.Lock()
        self.per_recipient: collections.Counter = collections.Counter()
        self.messages = 0
        self.sample = b""

    def __call__(self, _server, _session, _envelope, _mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(auth_data, LoginPassword) and tuple(auth_data) == self.credentials:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, _server, _session, envelope):  # pylint: disable=invalid-name
        """Count the message for each envelope recipient."""
        with self.lock:
            self.messages += 1
            self.per_recipient.update(envelope.rcpt_tos)
            if not self.sample:
                self.sample = envelope.original_content
        return "250 OK"


def serve(cert_file: str, key_file: str, password: str, port: int, pipe) -> None:
    """Run aiosmtpd (STARTTLS and AUTH required) until told to stop; answer stats requests."""
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.ERROR)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    handler = _Counter(password)
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        tls_context=context,
        require_starttls=True,
        authenticator=handler,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    pipe.send(controller.port)
    while True:
        command = pipe.recv()
        if command == "stats":
            with handler.lock:
                pipe.send((handler.messages, dict(handler.per_recipient), handler.sample))
                handler.messages, handler.sample = 0, b""
                handler.per_recipient.clear()
        else:
            break
    controller.stop()


# ---------------------------------------------------------------------- synthetic query result
def synthetic_rows() -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]], List[Dict[str, Any]]]:
    """1,000 SHUTOFF server rows, 500 users (two servers each) and 50 projects, shaped like
    the query library's ``to_props()``."""
    created = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    users = [
        {
            "user_id": f"u{n:03d}",
            "user_name": f"user{n:03d}",
            "user_email": f"user{n:03d}@example.com",
        }
        for n in range(USERS)
    ]
    projects = [
        {"project_id": f"p{n:02d}", "project_name": f"project-{n:02d}"} for n in range(PROJECTS)
    ]
    servers = [
        {
            "server_id": f"00000000-0000-4000-8000-{n:012d}",
            "server_name": f"server-{n:04d}",
            "server_status": "SHUTOFF",
            "server_project_id": f"p{n % PROJECTS:02d}",
            "server_user_id": f"u{n % USERS:03d}",
            "server_flavor_name": "m1.small",
            "server_image_id": "img-1",
            "server_hypervisor_name": f"compute{n % 20}",
            "server_created_at": created + datetime.timedelta(hours=n),
        }
        for n in range(SERVERS)
    ]
    return servers, users, projects


def render_and_send(account: SMTPAccount, rows) -> Tuple[float, Any]:
    """Ours: group, render, build and send every message; wall seconds and the report."""
    start = time.perf_counter()
    recipients = group_by_owner(*rows)
    emails = owner_emails(recipients.owners, "shutoff_vms", VARIABLES)
    report = send_emails(account, emails, dry_run=False)
    return time.perf_counter() - start, report


def floor(account: SMTPAccount, messages: List[Tuple[str, List[str], bytes]]) -> float:
    """The floor: pre-rendered messages over one plain smtplib connection."""
    start = time.perf_counter()
    with smtplib.SMTP(account.host, account.port, timeout=30) as smtp:
        smtp.starttls(context=ssl.create_default_context(cafile=account.ca_file))
        smtp.login(account.username, account.password)
        for sender, recipients, data in messages:
            smtp.sendmail(sender, recipients, data)
    return time.perf_counter() - start


def check_delivery(pipe, expected: int, label: str) -> List[str]:
    """Problems with what the server received since the last check."""
    pipe.send("stats")
    count, per_recipient, sample = pipe.recv()
    problems = []
    if count != expected or len(per_recipient) != expected:
        problems.append(f"{label}: {count} messages to {len(per_recipient)} recipients")
    twice = [addr for addr, n in per_recipient.items() if n != 1]
    if twice:
        problems.append(f"{label}: {len(twice)} recipients got more than one message")
    if b"multipart/alternative" not in sample:
        problems.append(f"{label}: the message is not multipart/alternative")
    return problems


# ---------------------------------------------------------------------- recipients on the cloud
def keystone_calls(cloud: str) -> Tuple[float, int, int, List[str]]:
    """Owner lookup of the shutoff notification on the devcloud: seconds, servers, owners and
    the keystone list/get calls it made (tokens not counted)."""
    import requests

    from apis.openstack_api.connection import connect
    from workflows import email_users
    from workflows.email_recipients import find_owners

    calls: List[str] = []
    original = requests.Session.send

    def counting(session, request, **kwargs):
        if ":5000/" in request.url and "/auth/tokens" not in request.url:
            calls.append(f"{request.method} {request.url.split('?')[0]}")
        return original(session, request, **kwargs)

    with connect(cloud) as conn:
        requests.Session.send = counting
        try:
            start = time.perf_counter()
            query = email_users.server_query(["SHUTOFF"])
            recipients = find_owners(conn, query, all_projects=True)
            seconds = time.perf_counter() - start
        finally:
            requests.Session.send = original
    owners = len(recipients.owners) + len(recipients.without_email)
    return seconds, recipients.server_count, owners, calls


@contextlib.contextmanager
def smtp_server() -> Iterator[Tuple[SMTPAccount, Any]]:
    """The aiosmtpd process and an account on it; yields (account, control pipe)."""
    from tests.integration.peers.common import free_port
    from tests.integration.peers.tls import make_server_cert

    with tempfile.TemporaryDirectory() as tmp:
        certs = make_server_cert(Path(tmp), "localhost", "bench CA")
        password = secrets.token_urlsafe(12)
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        server = ctx.Process(
            target=serve,
            args=(str(certs.cert_file), str(certs.key_file), password, free_port(), child),
        )
        server.start()
        try:
            account = SMTPAccount.from_config(
                {
                    "name": "bench",
                    "host": "127.0.0.1",
                    "port": parent.recv(),
                    "username": SMTP_USER,
                    "password": password,
                    "ca_file": str(certs.ca_file),
                    "from_address": "Cloud Team <cloud@example.org>",
                }
            )
            yield account, parent
        finally:
            parent.send("stop")
            server.join(timeout=10)


def measure_send(account: SMTPAccount, pipe, repeat: int, problems: List[str]):
    """Median seconds of (ours, floor), alternating, after one warm-up run of each."""
    rows = synthetic_rows()
    prepared = [owner_email(o, "shutoff_vms", VARIABLES) for o in group_by_owner(*rows).owners]
    messages = [
        ("cloud@example.org", list(e.envelope_recipients), e.to_bytes(account.sender()))
        for e in prepared
    ]
    render_and_send(account, rows)
    floor(account, messages)
    pipe.send("stats")
    pipe.recv()
    ours_times, floor_times = [], []
    for run in range(repeat):
        seconds, report = render_and_send(account, rows)
        ours_times.append(seconds)
        if report.failed or len(report.sent) != USERS:
            problems.append(f"run {run}: {len(report.failed)} failed")
        problems += check_delivery(pipe, USERS, f"run {run} (ours)")
        floor_times.append(floor(account, messages))
        problems += check_delivery(pipe, USERS, f"run {run} (floor)")
    return statistics.median(ours_times), statistics.median(floor_times)


def main() -> int:
    """Measure, print, and exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--cloud", default="devcloud", help="clouds.yaml cloud (admin)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-cloud", action="store_true", help="skip part (a)")
    args = parser.parse_args()
    problems: List[str] = []
    if not args.no_cloud:
        seconds, servers, owners, calls = keystone_calls(args.cloud)
        print(
            f"(a) owner lookup on {args.cloud}: {servers} shut-off servers, {owners} owners, "
            f"{seconds * 1000:.0f} ms, keystone calls: {len(calls)} {calls}"
        )
        if len(calls) > KEYSTONE_TARGET:
            problems.append(f"(a) {len(calls)} keystone calls > {KEYSTONE_TARGET}")
    with smtp_server() as (account, pipe):
        ours, base = measure_send(account, pipe, args.repeat, problems)
    ratio = ours / base
    print(f"(b) {SERVERS} servers, {USERS} users, {USERS} emails, {args.repeat} runs each")
    print(f"    render + send (email api): median {ours:.3f} s")
    print(f"    floor (pre-rendered bytes, plain smtplib, one connection): median {base:.3f} s")
    verdict = "OK" if ratio <= RATIO_TARGET else "OVER TARGET"
    print(f"    ratio: {ratio:.2f} (target <= {RATIO_TARGET}) {verdict}")
    print(f"    load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if ratio > RATIO_TARGET:
        problems.append(f"(b) ratio {ratio:.2f} > {RATIO_TARGET}")
    bench_env.record(
        f"(b) render and send {USERS} emails vs pre-rendered smtplib",
        ours,
        base,
        RATIO_TARGET,
        ratio <= RATIO_TARGET,
    )
    return bench_env.verdict(problems)


if __name__ == "__main__":
    sys.exit(bench_env.run(main))
