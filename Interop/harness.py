#!/usr/bin/env python3
"""Runs each client's scenarios against a freshly started Gregor broker and checks the results
against the client's allowlist (`<client>/PASSING`).

    harness.py --gregor BIN --work DIR [--clients a,b] [--scenarios x,y]

For each client: a new broker (PLAINTEXT, SSL, SASL_PLAINTEXT and SASL_SSL listeners on free ports
of 127.0.0.1, an empty data directory, the SCRAM users alice and admin added once it is up), then every
scenario in its own process with a hard timeout, then SIGTERM (the broker must exit cleanly). The
SSL and SASL_SSL listeners' certificates come from `gregor dev-certs`, made once per run in
WORK/certs (and a second, unrelated set in WORK/certs-untrusted). A throwaway Kerberos realm
(kerberos/kdc.sh, in WORK/kerberos) is started once per run; while it runs every broker has a fifth
listener, KERBEROS (SASL_PLAINTEXT with GSSAPI only, on 127.0.0.1, advertised as localhost to match
the service principal kafka/localhost). Without it the GSSAPI scenarios fail saying why.
Prints `PASS c/s`, `FAIL c/s: reason` (unexpected) or `KNOWN-FAIL c/s: reason` (not in PASSING,
explained in FINDINGS.md) per scenario and ends with `N passed, M failed`; exits 1 iff M > 0.
M counts scenarios in PASSING that fail, scenarios that crash or hang past their timeout
(whether listed or not), a broker that dies or does not shut down cleanly, and PASSING entries
that name no scenario.

A scenario process talks to the harness over two pipes (fds in INTEROP_CTL): it may send
`RESTART` (the harness restarts the broker and answers `OK` or `ERR reason`) or `RESTART {json}`
(the same with those settings added to the broker's; before the next scenario the harness restarts
it with its usual settings again), and ends with one JSON line `{"ok": bool, "reason": str}`.
"""
import argparse
import asyncio
import importlib.util
import inspect
import json
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import time
import traceback

import common

INTEROP = os.path.dirname(os.path.abspath(__file__))
CLIENTS = ["confluent-kafka", "kafka-python", "aiokafka", "kcat"]
BROKER_START_TIMEOUT = 30
BROKER_STOP_TIMEOUT = 20
KDC_START_TIMEOUT = 300  # kdc.sh may first install its Debian packages


def log(msg):
    print(msg, flush=True)


def free_port(but=()):
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in but:
            return port


def make_certs(binary, directory):
    """`gregor dev-certs DIR`: a CA, the broker's key store and a client certificate. Returns
    None, or why not."""
    try:
        out = subprocess.run([binary, "dev-certs", directory], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return f"{binary} dev-certs {directory} did not finish within 60s"
    if out.returncode != 0:
        return f"{binary} dev-certs {directory} exited with {out.returncode}: {(out.stdout + out.stderr).strip()[-300:]}"
    missing = [n for n in ("ca.pem", "broker-keystore.pem", "client.pem", "client-key.pem")
               if not os.path.exists(os.path.join(directory, n))]
    return f"{binary} dev-certs wrote no {', '.join(missing)} into {directory}" if missing else None


def untrusted(certs):
    """Where the second `gregor dev-certs` set lies: its CA signed nothing the broker presents."""
    return certs + "-untrusted"


KDC_SH = os.path.join(INTEROP, "kerberos", "kdc.sh")


def start_kdc(directory):
    """`kdc.sh start DIR`: a KDC for the realm GREGOR.TEST on loopback. Returns ({NAME: value} as
    kdc.sh prints them, None) or (None, why not)."""
    try:
        out = subprocess.run(["bash", KDC_SH, "start", directory], capture_output=True, text=True,
                             timeout=KDC_START_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, f"kdc.sh start {directory} did not finish within {KDC_START_TIMEOUT}s"
    with open(os.path.join(os.path.dirname(directory), "kdc.log"), "w") as f:
        f.write(out.stdout + out.stderr)
    if out.returncode != 0:
        return None, f"kdc.sh start exited with {out.returncode}: {(out.stderr or out.stdout).strip()[-300:]}"
    env = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    missing = [k for k in ("KRB5_CONFIG", "KRB5RCACHEDIR", "GREGOR_KRB5_CLIENT_KEYTAB", "GREGOR_KRB5_UNKNOWN_KEYTAB")
               if k not in env]
    if missing:
        return None, f"kdc.sh start printed no {', '.join(missing)}"
    return env, None


def stop_kdc(directory):
    if os.path.isdir(directory):
        subprocess.run(["bash", KDC_SH, "stop", directory], capture_output=True, timeout=30, stdin=subprocess.DEVNULL)


# ---------------------------------------------------------------------------------------------
# The broker


class Broker:
    """One gregor process over data_dir with a PLAINTEXT listener on 127.0.0.1:port, an SSL one on
    127.0.0.1:ssl_port (the certificates in `certs`, client certificates requested, not required)
    and SASL_PLAINTEXT and SASL_SSL ones (PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER with unsecured
    tokens; the SASL_SSL one with the SSL listener's certificates); with `kerberos` (kdc.sh's
    variables) a fifth, KERBEROS (SASL_PLAINTEXT, GSSAPI only, advertised as localhost:
    kerberos_port); restartable on the same ports and dir, with `extra` settings on top until the
    next restart."""

    def __init__(self, binary, data_dir, log_path, pid_file, certs, kerberos=None):
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = log_path
        self.pid_file = pid_file
        self.certs = certs
        self.kerberos = kerberos
        self.port = free_port()
        self.ssl_port = free_port(but=(self.port,))
        self.sasl_port = free_port(but=(self.port, self.ssl_port))
        self.sasl_ssl_port = free_port(but=(self.port, self.ssl_port, self.sasl_port))
        self.kerberos_port = free_port(but=(self.port, self.ssl_port, self.sasl_port, self.sasl_ssl_port))
        self.extra = {}  # settings a scenario asked for (RESTART {json}), until the next restart
        self.proc = None

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    @property
    def ssl_bootstrap(self):
        return f"127.0.0.1:{self.ssl_port}"

    @property
    def sasl_plaintext_bootstrap(self):
        return f"127.0.0.1:{self.sasl_port}"

    @property
    def sasl_ssl_bootstrap(self):
        return f"127.0.0.1:{self.sasl_ssl_port}"

    @property
    def kerberos_bootstrap(self):
        """The KERBEROS listener as GSSAPI clients must name it: the host part of the broker's
        service principal (kafka/localhost), which is also what it advertises."""
        return f"localhost:{self.kerberos_port}" if self.kerberos else ""

    def describe(self):
        return (f"{self.bootstrap} (SSL {self.ssl_bootstrap}, SASL_PLAINTEXT {self.sasl_plaintext_bootstrap}, "
                f"SASL_SSL {self.sasl_ssl_bootstrap}"
                + (f", KERBEROS {self.kerberos_bootstrap} on 127.0.0.1" if self.kerberos else "") + ")")

    def settings(self):
        # PLAIN's users, per SASL listener (Kafka's JAAS syntax); SCRAM's are stored by the broker
        # (add_scram_users); OAUTHBEARER accepts unsecured JWTs (Kafka's default validator).
        plain = ("org.apache.kafka.common.security.plain.PlainLoginModule required "
                 + " ".join(f'user_{u}="{p}"' for u, p in common.PLAIN_USERS.items()) + ";")
        listeners = (f"PLAINTEXT://{self.bootstrap},SSL://{self.ssl_bootstrap},"
                     f"SASL_PLAINTEXT://{self.sasl_plaintext_bootstrap},SASL_SSL://{self.sasl_ssl_bootstrap}")
        kerberos = {}
        if self.kerberos:
            # GSSAPI on a listener of its own: the others keep their mechanisms and addresses. Bound
            # to 127.0.0.1, advertised as localhost (clients ask the KDC for kafka/<the host they
            # connect to>), which needs advertised.listeners and the protocol map spelled out.
            keytab = os.path.join(os.path.dirname(self.kerberos["KRB5_CONFIG"]), "broker.keytab")
            kerberos = {
                "listeners": f"{listeners},KERBEROS://127.0.0.1:{self.kerberos_port}",
                "advertised.listeners": f"{listeners},KERBEROS://{self.kerberos_bootstrap}",
                "listener.security.protocol.map": ("PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,"
                                                   "SASL_SSL:SASL_SSL,KERBEROS:SASL_PLAINTEXT"),
                "listener.name.kerberos.sasl.enabled.mechanisms": "GSSAPI",
                "sasl.kerberos.service.name": common.KERBEROS_SERVICE,
                "listener.name.kerberos.gssapi.sasl.jaas.config": (
                    "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true "
                    f'keyTab="{keytab}" principal="{common.KERBEROS_SERVICE}/localhost@{common.KERBEROS_REALM}";'),
            }
        return {
            "log.dirs": self.data_dir,
            "listeners": listeners,
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": os.path.join(self.certs, "broker-keystore.pem"),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": os.path.join(self.certs, "ca.pem"),
            "ssl.client.auth": "requested",
            "sasl.enabled.mechanisms": ",".join(common.SASL_MECHANISMS),
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": plain,
            "listener.name.sasl_ssl.plain.sasl.jaas.config": plain,
            **kerberos,
            **self.extra,
        }

    def _accepts(self):
        """Every listener accepts connections; the SSL ones are greeted with a TLS handshake (a bare
        TCP connection would be logged as a failed one). A handshake that fails still means the
        listener is up: the SSL scenarios say what is wrong with it."""
        try:
            for port in (self.port, self.sasl_port) + ((self.kerberos_port,) if self.kerberos else ()):
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    pass
            for port in (self.ssl_port, self.sasl_ssl_port):
                with socket.create_connection(("127.0.0.1", port), timeout=1) as raw:
                    tls = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.pem"))
                    try:
                        with tls.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                            s.unwrap()
                    except (ssl.SSLError, OSError):
                        pass
            return True
        except OSError:
            return False

    def add_scram_users(self):
        """`gregor users add` (AlterUserScramCredentials over PLAINTEXT, before any authorizer is
        on): the SCRAM users of the SASL and ACL scenarios (common.SCRAM_USERS: alice, admin), both
        mechanisms. The broker stores them with its data: once per data directory. Returns None,
        or why not."""
        for user, password in common.SCRAM_USERS.items():
            cmd = [self.binary, "users", "add", user, "--password", password, "--bootstrap-server", self.bootstrap]
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            except subprocess.TimeoutExpired:
                return f"{' '.join(cmd[:4])} did not finish within 60s"
            said = (out.stdout + out.stderr).strip()
            with open(self.log_path, "ab") as log_file:
                log_file.write(f"--- {' '.join(cmd[1:4])}: exit {out.returncode}: {said}\n".encode())
            if out.returncode != 0:
                return f"{' '.join(cmd[:4])} exited with {out.returncode}: {said[-300:]}"
        return None

    def restart(self, extra=None):
        """Stops the broker (it must exit cleanly) and starts it again with `extra` settings on top
        of the usual ones (none: the usual ones); returns None, or why not."""
        why = self.stop()
        self.extra = dict(extra or {})
        started = self.start()
        return "; ".join(x for x in (why, started) if x) or None

    def start(self):
        """Starts the broker; returns None when it accepts connections, else why not."""
        # The broker reads KAFKA_* variables as configuration: none of the caller's may leak in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
        if self.kerberos:
            # The realm's krb5.conf (its default realm strips principals to short names), and the
            # GSSAPI acceptor's replay cache in the realm's directory rather than /var/tmp.
            env.update(KRB5_CONFIG=self.kerberos["KRB5_CONFIG"], KRB5RCACHEDIR=self.kerberos["KRB5RCACHEDIR"])
        with open(self.log_path, "ab") as out:
            extra = f" with {json.dumps(self.extra)}" if self.extra else ""
            out.write(f"--- starting {self.binary} on {self.describe()}{extra} "
                      f"at {time.strftime('%H:%M:%S')}\n".encode())
            out.flush()
            overrides = [a for k, v in self.settings().items() for a in ("--override", f"{k}={v}")]
            self.proc = subprocess.Popen(
                [self.binary, *overrides],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        with open(self.pid_file, "a") as f:
            f.write(f"{self.proc.pid}\n")
        deadline = time.monotonic() + BROKER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"broker exited with code {self.proc.returncode} at startup (log: {self.log_path})"
            if self._accepts():
                return None
            time.sleep(0.05)
        self.kill()
        return f"broker did not accept connections within {BROKER_START_TIMEOUT}s (log: {self.log_path})"

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM; returns None after a clean exit (code 0), else why not."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            return f"broker had already exited with code {self.proc.returncode}"
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=BROKER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            return f"broker still running {BROKER_STOP_TIMEOUT}s after SIGTERM (killed)"
        if code != 0:
            return f"broker exited with code {code} on SIGTERM"
        with open(self.log_path, "ab") as out:
            out.write(f"--- stopped cleanly in {time.monotonic() - started:.2f}s\n".encode())
        return None

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------------------------------------
# Running scenarios


def read_allowlist(client):
    path = os.path.join(INTEROP, client, "PASSING")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.split("#", 1)[0].strip() for line in f if line.split("#", 1)[0].strip()]


def list_scenarios(client, work):
    """[(name, timeout)] from the client's scenarios module, loaded in a child process so that an
    import failure of one client cannot stop the others."""
    out = subprocess.run([sys.executable, __file__, "--list", client], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        with open(os.path.join(work, "list.log"), "w") as f:
            f.write(out.stdout + out.stderr)
        raise RuntimeError(f"cannot load {client}/scenarios.py: {(out.stderr.strip().splitlines() or ['?'])[-1]}")
    return [tuple(x) for x in json.loads(out.stdout)]


def run_scenario(client, name, timeout, broker, log_path, kerberos_why=None):
    """Runs one scenario in its own process; returns (outcome, reason), outcome in
    pass | fail | crash."""
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    env = dict(os.environ, INTEROP_CTL=f"{to_child_r},{from_child_w}", INTEROP_BOOTSTRAP=broker.bootstrap,
               INTEROP_SSL_BOOTSTRAP=broker.ssl_bootstrap, INTEROP_SASL_PLAINTEXT_BOOTSTRAP=broker.sasl_plaintext_bootstrap,
               INTEROP_SASL_SSL_BOOTSTRAP=broker.sasl_ssl_bootstrap, INTEROP_CERTS=broker.certs,
               INTEROP_UNTRUSTED_CERTS=untrusted(broker.certs),
               INTEROP_DATA_DIR=broker.data_dir, INTEROP_GREGOR=broker.binary, PYTHONUNBUFFERED="1")
    if broker.kerberos:
        # The realm for every Kerberos library in the scenario process (kinit, Cyrus SASL in kcat,
        # the gssapi module), and a ticket cache of the scenario's own (nothing else's tickets).
        ccache = os.path.join(os.path.dirname(log_path), f"{name}.krb5cc")
        if os.path.exists(ccache):
            os.remove(ccache)
        env.update(KRB5_CONFIG=broker.kerberos["KRB5_CONFIG"], KRB5CCNAME=f"FILE:{ccache}",
                   INTEROP_KERBEROS=json.dumps(broker.kerberos), INTEROP_KERBEROS_BOOTSTRAP=broker.kerberos_bootstrap)
        env.pop("KRB5_KTNAME", None)
    else:
        env["INTEROP_KERBEROS_WHY"] = kerberos_why or "no KDC was started"
    with open(log_path, "wb") as out:
        proc = subprocess.Popen([sys.executable, __file__, "--child", client, name],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                                pass_fds=(to_child_r, from_child_w), start_new_session=True)
    os.close(to_child_r)
    os.close(from_child_w)
    deadline = time.monotonic() + timeout
    buffered = b""
    result = None
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "crash", f"no result after {timeout:.0f}s (killed; log: {log_path})"
            ready, _, _ = select.select([from_child_r], [], [], min(remaining, 1.0))
            if not ready:
                continue
            chunk = os.read(from_child_r, 65536)
            if not chunk:
                break
            buffered += chunk
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                line = line.decode(errors="replace").strip()
                if line == "RESTART" or line.startswith("RESTART "):
                    why = broker.restart(json.loads(line[len("RESTART"):].strip() or "{}"))
                    os.write(to_child_w, ("ERR " + why if why else "OK").encode() + b"\n")
                elif line.startswith("{"):
                    result = json.loads(line)
        try:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        if result is None:
            code = proc.poll()
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            return "crash", f"scenario process ended without a result ({how}; log: {log_path})"
        return ("pass", "") if result["ok"] else ("fail", result["reason"])
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        os.close(to_child_w)
        os.close(from_child_r)


def one_line(reason, limit=400):
    reason = " ".join(str(reason).split())
    return reason if len(reason) <= limit else reason[:limit] + "..."


def run_client(client, args, totals):
    work = os.path.join(args.work, client)
    os.makedirs(os.path.join(work, "logs"), exist_ok=True)
    data_dir = os.path.join(work, "data")
    os.makedirs(data_dir, exist_ok=True)
    allow = read_allowlist(client)
    try:
        scenarios = list_scenarios(client, work)
    except Exception as e:  # noqa: BLE001 - reported as failures of everything allowlisted
        for name in allow:
            log(f"FAIL {client}/{name}: {one_line(e)}")
            totals["failed"] += 1
        return
    if args.scenarios:
        scenarios = [s for s in scenarios if s[0] in args.scenarios]
    names = {s[0] for s in scenarios}
    if not args.scenarios:
        for name in allow:
            if name not in names:
                log(f"FAIL {client}/{name}: listed in PASSING but there is no such scenario")
                totals["failed"] += 1

    broker = Broker(args.gregor, data_dir, os.path.join(work, "broker.log"), args.pid_file, args.certs, args.kerberos)
    log(f"== {client}: broker on {broker.describe()}, data in {data_dir}")
    why = broker.start()
    if why:
        for name, _ in scenarios:
            log(f"FAIL {client}/{name}: {why}")
            totals["failed"] += 1
        return
    why = broker.add_scram_users()
    if why:  # the SCRAM scenarios fail on their own; the others can run
        log(f"FAIL {client}/scram-users: {why}")
        totals["failed"] += 1
    crashed = False  # the broker died during a scenario (reported there)
    try:
        for name, timeout in scenarios:
            crashed = False
            if broker.alive() and broker.extra:
                # The last scenario restarted it with settings of its own: the usual ones again.
                why = broker.restart()
            elif not broker.alive():
                broker.extra = {}
                why = broker.start()
            else:
                why = None
            if why:
                log(f"FAIL {client}/{name}: {why}")
                totals["failed"] += 1
                continue
            left = args.deadline - time.monotonic()
            if left < 5:
                totals["failed"] += 1
                log(f"FAIL {client}/{name}: not run: the harness's time budget ({args.budget:.0f}s, INTEROP_BUDGET) is spent")
                continue
            started = time.monotonic()
            outcome, reason = run_scenario(client, name, min(timeout, left), broker,
                                           os.path.join(work, "logs", f"{name}.log"), args.kerberos_why)
            elapsed = time.monotonic() - started
            totals["timings"].append((elapsed, f"{client}/{name}"))
            if not broker.alive():
                crashed = True
                outcome = "crash"
                reason = (f"broker exited with code {broker.proc.returncode} during the scenario "
                          f"(log: {broker.log_path}); " + reason)
            if outcome == "pass":
                totals["passed"] += 1
                log(f"PASS {client}/{name}" + ("" if name in allow else " (not in PASSING yet)"))
            elif outcome == "fail" and name not in allow:
                totals["known"] += 1
                log(f"KNOWN-FAIL {client}/{name}: {one_line(reason)}")
            else:
                totals["failed"] += 1
                log(f"FAIL {client}/{name}: {one_line(reason)}")
    finally:
        why = None if crashed and not broker.alive() else broker.stop()
        if why:
            totals["failed"] += 1
            log(f"FAIL {client}/broker-shutdown: {why} (log: {broker.log_path})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gregor", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--clients", default="")
    parser.add_argument("--scenarios", default="")
    args = parser.parse_args()
    args.clients = [c for c in args.clients.split(",") if c] or CLIENTS
    args.scenarios = {s for s in args.scenarios.split(",") if s}
    args.pid_file = os.path.join(args.work, "broker.pids")
    # However the broker misbehaves, CI gets an answer in bounded time.
    args.budget = float(os.environ.get("INTEROP_BUDGET", "1800"))
    args.deadline = time.monotonic() + args.budget
    unknown = [c for c in args.clients if c not in CLIENTS]
    if unknown:
        sys.exit(f"unknown clients: {', '.join(unknown)} (known: {', '.join(CLIENTS)})")

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)

    started = time.monotonic()
    totals = {"passed": 0, "failed": 0, "known": 0, "timings": []}
    # One CA and set of certificates per run for every broker's SSL listener, and an unrelated
    # set (another CA) for the clients that must not trust it.
    args.certs = os.path.join(args.work, "certs")
    for directory in (args.certs, untrusted(args.certs)):
        why = make_certs(args.gregor, directory)
        if why:
            log(f"FAIL harness/dev-certs: {why}")
            log("0 passed, 1 failed")
            return 1
    # One Kerberos realm per run, for the GSSAPI scenarios (which fail, saying why, without it).
    kdc_dir = os.path.join(args.work, "kerberos")
    args.kerberos, args.kerberos_why = start_kdc(kdc_dir)
    if args.kerberos_why:
        log(f"NOTE: no Kerberos KDC ({one_line(args.kerberos_why)}): the GSSAPI scenarios will fail")
    try:
        for client in args.clients:
            run_client(client, args, totals)
    finally:
        try:
            stop_kdc(kdc_dir)
        except Exception as e:  # noqa: BLE001 - run.sh stops it too
            log(f"NOTE: kdc.sh stop: {e}")
        # Any broker still running (an interrupted run) is killed by pid.
        if os.path.exists(args.pid_file):
            with open(args.pid_file) as f:
                for pid in {int(x) for x in f.read().split()}:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
    slowest = sorted(totals["timings"], reverse=True)[:5]
    log("slowest: " + ", ".join(f"{name} {secs:.1f}s" for secs, name in slowest))
    log(f"{totals['known']} known failures (see <client>/FINDINGS.md); harness wall time {time.monotonic() - started:.0f}s")
    log(f"{totals['passed']} passed, {totals['failed']} failed")
    return 1 if totals["failed"] else 0


# ---------------------------------------------------------------------------------------------
# Inside a scenario process


def load_scenarios(client):
    sys.path.insert(0, INTEROP)
    import common
    path = os.path.join(INTEROP, client, "scenarios.py")
    spec = importlib.util.spec_from_file_location(f"scenarios_{client.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return common, common.registered()


def child_list(client):
    _, scenarios = load_scenarios(client)
    print(json.dumps([[name, timeout] for name, _, timeout in scenarios]))


def child_run(client, name):
    ctl_read, ctl_write = (int(x) for x in os.environ["INTEROP_CTL"].split(","))
    ok, reason = False, "not run"
    try:
        common, scenarios = load_scenarios(client)
        fn, timeout = next((f, t) for n, f, t in scenarios if n == name)
        kerberos = json.loads(os.environ["INTEROP_KERBEROS"]) if os.environ.get("INTEROP_KERBEROS") else None
        ctx = common.Context(client, name, os.environ["INTEROP_BOOTSTRAP"], os.environ["INTEROP_DATA_DIR"],
                             ctl_read, ctl_write, ssl_bootstrap=os.environ["INTEROP_SSL_BOOTSTRAP"],
                             certs=os.environ["INTEROP_CERTS"], untrusted_certs=os.environ["INTEROP_UNTRUSTED_CERTS"],
                             sasl_plaintext_bootstrap=os.environ["INTEROP_SASL_PLAINTEXT_BOOTSTRAP"],
                             sasl_ssl_bootstrap=os.environ["INTEROP_SASL_SSL_BOOTSTRAP"],
                             kerberos=kerberos, kerberos_bootstrap=os.environ.get("INTEROP_KERBEROS_BOOTSTRAP"),
                             kerberos_why=os.environ.get("INTEROP_KERBEROS_WHY"))
        if inspect.iscoroutinefunction(fn):
            asyncio.run(asyncio.wait_for(fn(ctx), timeout=max(1, timeout - 3)))
        else:
            fn(ctx)
        ok, reason = True, ""
    except BaseException as e:  # noqa: BLE001 - every failure is reported, then the process ends
        traceback.print_exc()
        reason = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(ctl_write, (json.dumps({"ok": ok, "reason": reason}) + "\n").encode())
    # Client libraries' background threads must not keep the process alive (or hang in their
    # finalizers): the result is in.
    os._exit(0)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--list":
        child_list(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "--child":
        child_run(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
