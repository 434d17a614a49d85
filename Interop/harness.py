#!/usr/bin/env python3
"""Runs each client's scenarios against a freshly started Gregor broker and checks the results
against the client's allowlist (`<client>/PASSING`).

    harness.py --gregor BIN --work DIR [--clients a,b] [--scenarios x,y]

For each client: a new broker (a free port on 127.0.0.1, an empty data directory), then every
scenario in its own process with a hard timeout, then SIGTERM (the broker must exit cleanly).
Prints `PASS c/s`, `FAIL c/s: reason` (unexpected) or `KNOWN-FAIL c/s: reason` (not in PASSING,
explained in FINDINGS.md) per scenario and ends with `N passed, M failed`; exits 1 iff M > 0.
M counts scenarios in PASSING that fail, scenarios that crash or hang past their timeout
(whether listed or not), a broker that dies or does not shut down cleanly, and PASSING entries
that name no scenario.

A scenario process talks to the harness over two pipes (fds in INTEROP_CTL): it may send
`RESTART` (the harness restarts the broker and answers `OK` or `ERR reason`), and ends with one
JSON line `{"ok": bool, "reason": str}`.
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
import subprocess
import sys
import time
import traceback

INTEROP = os.path.dirname(os.path.abspath(__file__))
CLIENTS = ["confluent-kafka", "kafka-python", "aiokafka", "kcat"]
BROKER_START_TIMEOUT = 30
BROKER_STOP_TIMEOUT = 20


def log(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# The broker


class Broker:
    """One gregor process on 127.0.0.1:port over data_dir; restartable on the same port and dir."""

    def __init__(self, binary, data_dir, log_path, pid_file):
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = log_path
        self.pid_file = pid_file
        self.port = free_port()
        self.proc = None

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        """Starts the broker; returns None when it accepts connections, else why not."""
        # The broker reads KAFKA_* variables as configuration: none of the caller's may leak in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
        with open(self.log_path, "ab") as out:
            out.write(f"--- starting {self.binary} on {self.bootstrap} at {time.strftime('%H:%M:%S')}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                [self.binary, "--override", f"log.dirs={self.data_dir}",
                 "--override", f"listeners=PLAINTEXT://{self.bootstrap}"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        with open(self.pid_file, "a") as f:
            f.write(f"{self.proc.pid}\n")
        deadline = time.monotonic() + BROKER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"broker exited with code {self.proc.returncode} at startup (log: {self.log_path})"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return None
            except OSError:
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


def run_scenario(client, name, timeout, broker, log_path):
    """Runs one scenario in its own process; returns (outcome, reason), outcome in
    pass | fail | crash."""
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    env = dict(os.environ, INTEROP_CTL=f"{to_child_r},{from_child_w}", INTEROP_BOOTSTRAP=broker.bootstrap,
               INTEROP_DATA_DIR=broker.data_dir, PYTHONUNBUFFERED="1")
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
                if line == "RESTART":
                    why = broker.stop()
                    started = broker.start()
                    reply = "OK" if not (why or started) else "ERR " + "; ".join(x for x in (why, started) if x)
                    os.write(to_child_w, reply.encode() + b"\n")
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

    broker = Broker(args.gregor, data_dir, os.path.join(work, "broker.log"), args.pid_file)
    log(f"== {client}: broker on {broker.bootstrap}, data in {data_dir}")
    why = broker.start()
    if why:
        for name, _ in scenarios:
            log(f"FAIL {client}/{name}: {why}")
            totals["failed"] += 1
        return
    crashed = False  # the broker died during a scenario (reported there)
    try:
        for name, timeout in scenarios:
            crashed = False
            if not broker.alive():
                why = broker.start()
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
                                           os.path.join(work, "logs", f"{name}.log"))
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
    try:
        for client in args.clients:
            run_client(client, args, totals)
    finally:
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
        ctx = common.Context(client, name, os.environ["INTEROP_BOOTSTRAP"], os.environ["INTEROP_DATA_DIR"],
                             ctl_read, ctl_write)
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
