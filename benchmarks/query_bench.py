#!/usr/bin/env python3
"""Query library benchmark: cross-project server queries against the least the API allows.

Seeds the devcloud with 50 projects x 20 servers (see bench_cloud.py; idempotent), then
prints, for three queries, the median wall time and HTTP request count of our query library
and of its floor measured in the same run, alternating them ``--repeat`` times. Both sides
start from a cold connection every time: ours opens one with ``open_connection(cloud)`` and
runs the query on it; the floor authenticates a fresh keystoneauth session (one ``POST
/v3/auth/tokens``) and sends raw GETs to the catalog's endpoints with every filter nova and
keystone accept for the query pushed down:

(a) SHUTOFF servers older than N days in all projects; floor: token, then
    ``GET /servers/detail?all_tenants=1&status=SHUTOFF`` (nova 2.1; nova cannot filter on
    the creation time: changes-before filters updated_at, which would drop servers updated
    since, so the age is checked client-side on both sides). Target <= 1.1.
(b) the same for 10 named projects; floor: token, one ``GET /v3/projects`` resolving the
    names (keystone filters on one name a call), then (a)'s listing (one listing of all
    SHUTOFF servers is faster than ten concurrent ones per project on nova). Target <= 1.1.
(c) (a) chained to the owning users' names and emails; floor: (a)'s, then one
    ``GET /v3/users`` (keystone cannot filter users by a list of ids). Target <= 1.1.

A ratio is the median over the rounds of ours / floor measured in the same round (the ratio
of the medians is printed too). "client cpu s" is this process's CPU time. Requests are
counted by wrapping ``requests.Session.send`` during the timed calls. The floor computes the
answer from the raw JSON inside its timed call, and every run's answer must equal it. Exits 1
when a target is missed (or an answer is wrong), naming it.

    .venv/bin/python benchmarks/query_bench.py [--cloud devcloud] [--days 90] [--repeat 25]
        [--seed-only | --no-seed | --clean]
"""

from __future__ import annotations

import bench_env  # first: the project's .venv, lib/ on sys.path, the devcloud
import argparse
import dataclasses
import datetime
import re
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from apis import clock

ROOT = bench_env.ROOT
TARGETS = {"a": 1.1, "b": 1.1, "c": 1.1}
GIVEN_PROJECTS = [f"bench-p{n:02d}" for n in range(0, 50, 5)]


# ---------------------------------------------------------------------- request counting
class RequestLog:
    """Every HTTP request sent through ``requests`` while recording: method, url, seconds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: List[Tuple[str, str, float]] = []
        self.recording = False

    def install(self) -> None:
        """Wrap ``requests.Session.send`` (keystoneauth sends through it)."""
        import requests

        original = requests.Session.send
        log = self

        def send(session, request, **kwargs):
            started = time.perf_counter()
            try:
                return original(session, request, **kwargs)
            finally:
                if log.recording:
                    with log.lock:
                        log.records.append(
                            (request.method, request.url, time.perf_counter() - started)
                        )

        requests.Session.send = send


@dataclasses.dataclass
class Sample:
    """One timed call."""

    seconds: float
    requests: List[Tuple[str, str, float]]
    result: Any
    cpu: float = 0.0  # this process's CPU seconds (client-side work, all threads)


def measure(log: RequestLog, function: Callable[[], Any]) -> Sample:
    """Time one call of FUNCTION and collect the requests it made."""
    log.records = []
    log.recording = True
    started, cpu = time.perf_counter(), time.process_time()
    try:
        result = function()
    finally:
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        log.recording = False
    return Sample(seconds, list(log.records), result, cpu)


def template(method: str, url: str) -> str:
    """``GET /v2.1/servers/detail?all_tenants&limit&status``: ids and names blanked."""
    parts = urllib.parse.urlsplit(url)
    path = re.sub(
        r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", "{id}", parts.path
    )
    path = re.sub(r"bench-[pu][0-9]{2}", "{name}", path)
    keys = sorted({k for k, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)})
    return f"{method} {path}" + (f"?{'&'.join(keys)}" if keys else "")


# ---------------------------------------------------------------------- what is measured
def _cutoff(days: int) -> datetime.datetime:
    return clock.now() - datetime.timedelta(days=days)


class RawClient:
    """The floor's client: a fresh keystoneauth session per call (authentication included),
    endpoints straight from the token's catalog (no version discovery), nova at 2.1 (no
    microversion header: the least work per server)."""

    def __init__(self, cloud: str):
        from openstack import config

        region = config.OpenStackConfig().get_one(cloud)
        self.auth = dict(region.config["auth"])
        self.region = region.get_region_name()
        self.interface = region.get_interface()

    def session(self):
        """A cold session: the first request authenticates."""
        from keystoneauth1 import session
        from keystoneauth1.identity import v3

        return session.Session(auth=v3.Password(**self.auth))

    def get(self, session, service: str, path: str, key: str, **params) -> List[Dict[str, Any]]:
        """Every item of one listing, following ``{key}_links`` next pages."""
        endpoint = {"service_type": service, "interface": self.interface}
        if self.region:
            endpoint["region_name"] = self.region
        items: List[Dict[str, Any]] = []
        url: Optional[str] = path
        while url:
            response = session.get(url, params=params, endpoint_filter=endpoint)
            body = response.json()
            items.extend(body[key])
            links = body.get(f"{key}_links") or []
            url = next((link["href"] for link in links if link.get("rel") == "next"), None)
            params = {}
        return items

    def shutoff_servers(self, session) -> List[Dict[str, Any]]:
        """Every SHUTOFF server. nova has no created-at filter; changes-before filters
        updated_at (a subset of "created before"), so the age is checked here."""
        return self.get(
            session, "compute", "/servers/detail", "servers", all_tenants=1, status="SHUTOFF"
        )

    def projects(self, session) -> List[Dict[str, Any]]:
        """Every project: one listing resolves all names (keystone takes one name a call)."""
        return self.get(session, "identity", "/projects", "projects")

    def users(self, session) -> List[Dict[str, Any]]:
        """Every user (keystone filters users by one name, not by ids)."""
        return self.get(session, "identity", "/users", "users")


def matching_ids(servers, days: int, project_ids=None) -> List[str]:
    """Ids of the SHUTOFF servers older than DAYS in the raw listing (in PROJECT_IDS)."""
    cutoff = _cutoff(days)
    return sorted(
        s["id"]
        for s in servers
        if s["status"] == "SHUTOFF"
        and clock.parse(s["created"]) < cutoff
        and (project_ids is None or s["tenant_id"] in project_ids)
    )


class Cases:
    """The measured functions; each starts from a cold connection."""

    def __init__(self, cloud: str, days: int, projects: List[str]):
        self.cloud = cloud
        self.raw = RawClient(cloud)
        self.days = days
        self.projects = projects

    def _connect(self):
        from apis.openstack_api.connection import open_connection

        return open_connection(self.cloud)

    def _query(self):
        from apis.openstack_query_api import ServerQuery

        return (
            ServerQuery()
            .where("==", "status", value="SHUTOFF")
            .where("older_than", "created_at", days=self.days)
        )

    def query_all(self) -> List[str]:
        """(a) ours."""
        query = self._query().run(self._connect(), all_projects=True, as_admin=True)
        return sorted(row["server_id"] for row in query.to_props())

    def query_projects(self) -> List[str]:
        """(b) ours."""
        query = self._query().run(self._connect(), from_projects=self.projects, as_admin=True)
        return sorted(row["server_id"] for row in query.to_props())

    def query_owners(self) -> List[Tuple[str, str, str, int]]:
        """(c) ours: (user id, name, email, number of their servers)."""
        from apis.openstack_query_api import UserQuery

        query = self._query().run(self._connect(), all_projects=True, as_admin=True)
        users = query.then(UserQuery, keep_previous_results=True)
        return sorted(
            (u["user_id"], u["user_name"], u["user_email"], len(u["previous"]))
            for u in users.to_props()
        )

    def floor(self) -> List[str]:
        """(a) floor: token, SHUTOFF servers, the age checked here."""
        return matching_ids(self.raw.shutoff_servers(self.raw.session()), self.days)

    def floor_projects(self) -> List[str]:
        """(b) floor: token, projects (names to ids), SHUTOFF servers."""
        session = self.raw.session()
        ids = {p["id"] for p in self.raw.projects(session) if p["name"] in self.projects}
        if len(ids) != len(self.projects):
            raise RuntimeError(f"the floor found {len(ids)} of the {len(self.projects)} projects")
        return matching_ids(self.raw.shutoff_servers(session), self.days, ids)

    def floor_owners(self) -> List[Tuple[str, str, str, int]]:
        """(c) floor: (a)'s, then users."""
        session = self.raw.session()
        servers = self.raw.shutoff_servers(session)
        wanted = set(matching_ids(servers, self.days))
        per_user: Dict[str, int] = {}
        for server in servers:
            if server["id"] in wanted:
                per_user[server["user_id"]] = per_user.get(server["user_id"], 0) + 1
        return sorted(
            (u["id"], u["name"], u.get("email"), per_user[u["id"]])
            for u in self.raw.users(session)
            if u["id"] in per_user
        )


# ---------------------------------------------------------------------- running
@dataclasses.dataclass
class Variant:
    """One measured way of answering a case."""

    label: str
    function: Callable[[], Any]
    samples: List[Sample] = dataclasses.field(default_factory=list)

    def median(self) -> float:
        """Median wall seconds."""
        return statistics.median(s.seconds for s in self.samples)

    def cpu(self) -> float:
        """Median client CPU seconds."""
        return statistics.median(s.cpu for s in self.samples)

    def requests(self) -> int:
        """Median request count."""
        return int(statistics.median(len(s.requests) for s in self.samples))


def paired_ratio(ours: Variant, baseline: Variant) -> float:
    """The median over the rounds of ours / baseline measured in the same round: neighbours
    in time share the machine's load, which drifts over a run (other jobs on its cores)."""
    return statistics.median(
        mine.seconds / theirs.seconds for mine, theirs in zip(ours.samples, baseline.samples)
    )


def _devcloud_busy() -> bool:
    """Whether some devcloud.sh (up/down/seed/reset by someone else) is running."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"devcloud.sh" in cmdline.read_bytes():
                return True
        except OSError:
            continue
    return False


def wait_for_cloud(conn, timeout: float = 900) -> None:
    """Wait until no devcloud.sh runs and nova and keystone answer again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if not _devcloud_busy():
                conn.compute.get("/servers?limit=1")
                conn.identity.get("/projects?name=bench-p00")
                return
        except Exception:  # pylint: disable=broad-except
            pass
        time.sleep(5)
    raise TimeoutError(f"the cloud did not come back within {timeout:.0f}s")


def run_case(conn, log: RequestLog, variants: List[Variant], repeat: int) -> None:
    """One warm-up call each, then REPEAT rounds alternating the order of the variants.

    A round that fails (someone restarting the devcloud) is dropped and redone once the
    cloud answers again, at most 3 times."""
    retries = 3
    rounds = [list(variants) if n % 2 == 0 else list(reversed(variants)) for n in range(repeat)]
    rounds.insert(0, list(variants))  # warm-up, not kept
    done = 0
    while done < len(rounds):
        wait_for_cloud(conn)
        try:
            samples = [(v, measure(log, v.function)) for v in rounds[done]]
        except Exception as err:  # pylint: disable=broad-except
            if retries == 0:
                raise
            retries -= 1
            print(f"  round failed ({type(err).__name__}: {err}); redoing it", flush=True)
            continue
        if done:
            for variant, sample in samples:
                variant.samples.append(sample)
        done += 1


def breakdown(sample: Sample) -> List[str]:
    """Requests of one sample grouped by endpoint: count and summed seconds."""
    groups: Dict[str, List[float]] = {}
    for method, url, seconds in sample.requests:
        groups.setdefault(template(method, url), []).append(seconds)
    return [
        f"      {len(times):3d} x {name}  ({sum(times):.2f}s summed, max {max(times):.2f}s)"
        for name, times in sorted(groups.items(), key=lambda kv: -sum(kv[1]))
    ]


def benchmark(conn, log: RequestLog, cloud: str, days: int, repeat: int) -> int:
    """Measure (a), (b), (c); print the table; the exit status."""
    cases = Cases(cloud, days, GIVEN_PROJECTS)
    wait_for_cloud(conn)
    plan = {
        "a": (
            f"(a) SHUTOFF, older than {days}d, all projects",
            [Variant("query", cases.query_all), Variant("floor", cases.floor)],
        ),
        "b": (
            f"(b) same, {len(cases.projects)} given projects",
            [
                Variant("query", cases.query_projects),
                Variant("floor (+GET /v3/projects)", cases.floor_projects),
            ],
        ),
        "c": (
            "(c) (a) -> owners' names + emails",
            [
                Variant("query", cases.query_owners),
                Variant("floor (+GET /v3/users)", cases.floor_owners),
            ],
        ),
    }
    problems = []
    lines = [
        f"{'case':44s} {'variant':24s} {'median s':>8s} {'min s':>7s} {'max s':>7s}"
        f" {'client cpu s':>12s} {'requests':>8s} {'results':>7s}"
    ]
    ratios = []
    for key, (title, variants) in plan.items():
        print(f"measuring {title} ...", flush=True)
        run_case(conn, log, variants, repeat)
        want = variants[1].samples[-1].result
        if not want:
            problems.append(f"({key}) the floor found nothing: is the benchmark's data seeded?")
        for variant in variants:
            for sample in variant.samples:
                if sample.result != want:
                    problems.append(
                        f"({key}) {variant.label} returned {len(sample.result)} results,"
                        f" the floor {len(want)} (or others)"
                    )
                    break
        for number, variant in enumerate(variants):
            times = [s.seconds for s in variant.samples]
            count = len(variant.samples[-1].result)
            lines.append(
                f"{title if number == 0 else '':44s} {variant.label:24s} {variant.median():8.3f}"
                f" {min(times):7.3f} {max(times):7.3f} {variant.cpu():12.3f}"
                f" {variant.requests():8d} {count:7d}"
            )
        query, against = variants[0], variants[1]
        ratio = paired_ratio(query, against)
        met = ratio <= TARGETS[key]
        ratios.append(
            f"({key}) query / {against.label}: {ratio:.2f} (target <= {TARGETS[key]})"
            f" {'OK' if met else 'MISSED'}; ratio of the medians"
            f" {query.median() / against.median():.2f};"
            f"  requests {query.requests()} vs {against.requests()}"
        )
        bench_env.record(
            f"{title.strip()} vs {against.label}",
            query.median(),
            against.median(),
            TARGETS[key],
            met,
        )
        if not met:
            problems.append(
                f"({key}) target missed: query / {against.label}, median of the rounds'"
                f" ratios: {ratio:.2f} > {TARGETS[key]}"
            )
        ratios.append("    query requests (last run), by endpoint:")
        ratios.extend(breakdown(query.samples[-1]))
    print(f"\nrepeat {repeat} (alternating, medians); {clock.now():%Y-%m-%d %H:%M} UTC")
    print("\n".join(lines))
    print()
    print("\n".join(ratios))
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


def main(argv: Optional[List[str]] = None) -> int:
    """Parse the options, seed/clean, measure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--cloud", default="devcloud", help="clouds.yaml cloud (admin)")
    parser.add_argument("--days", type=int, default=90, help="the 'older than' age")
    parser.add_argument("--repeat", type=int, default=25, help="measurements per variant")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--seed-only", action="store_true", help="seed, do not measure")
    mode.add_argument("--no-seed", action="store_true", help="measure the cloud as it is")
    mode.add_argument("--clean", action="store_true", help="delete the benchmark's resources")
    args = parser.parse_args(argv)

    from apis.openstack_api.connection import open_connection

    from benchmarks.bench_cloud import BenchCloud

    log = RequestLog()
    log.install()
    conn = open_connection(args.cloud)
    bench = BenchCloud(conn)
    if args.clean:
        return 1 if bench.clean() else 0
    if args.no_seed:
        missing = bench.missing()
        if missing:
            print(
                f"error: --no-seed, but cloud {args.cloud} lacks the benchmark's data: "
                f"{'; '.join(missing)} (devcloud/bench.py's data is another set). Run without "
                "--no-seed to seed it (about 4 minutes the first time).",
                file=sys.stderr,
            )
            return 2
    else:
        bench.seed()
        if args.seed_only:
            return 0
    return benchmark(conn, log, args.cloud, args.days, args.repeat)


if __name__ == "__main__":
    sys.exit(bench_env.run(main))
