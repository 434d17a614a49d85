"""Network namespaces for replcheck.py's network partitions (issue 11).

Each broker runs in its own network namespace, joined by a veth pair to a bridge in the root
namespace:

    root namespace: bridge <tag>br at 10.77.X.1/24 (the clients) and 10.77.X.2/24 (etcd)
    namespace <tag>-N: veth <tag>eN at 10.77.X.(10+N)/24, lo  <-- veth <tag>vN -->  bridge

where <tag> is "grc" and the orchestrator's pid, so parallel checks do not clash, and X is the
first /24 of 10.77.0.0/16 no interface of the machine uses. A broker is cut off from everyone
(etcd, the other brokers, the clients) by setting the root side of its veth down: the namespace
side loses its carrier, so the broker's packets are dropped and connections to it time out (no
reset, no refusal: as when a cable is pulled), and healed by setting it up again. A broker is
isolated from etcd and the other brokers only, the clients still reaching it, by routes that
make their addresses unreachable from its namespace and its address unreachable from theirs,
and, in the root namespace, a policy rule that makes it unreachable from etcd's address (not
from the clients'): both directions, so no connection open before carries anything either way.
It rejoins when they are removed. No packet filter (nft, iptables) or netem is needed, only `ip`
(iproute2) and CAP_NET_ADMIN.

    net = Network(nodes=[1, 2, 3])   # probe() first: None when namespaces can be made
    net.setup(); ...; net.wrap(1, argv) runs argv in broker 1's namespace
    net.cut(1); net.heal(1)
    net.isolate(1); net.heal(1)
    net.teardown()                   # also at exit, and leftovers of dead checks go at setup

`python3 netns.py --self-test` checks the pure helpers; `--clean` removes the leftovers of
checks that are no longer running."""
import atexit
import os
import re
import shutil
import subprocess
import sys

PREFIX = "grc"
# The names of one check's namespaces and links: grc{pid}-{node}, grc{pid}br, grc{pid}v{node},
# grc{pid}e{node} (interface names have at most 15 characters: pids have at most 7 digits).
NAME = re.compile(rf"{PREFIX}(\d+)(?:-\d+|br|v\d+|e\d+)")


def ip_binary():
    return shutil.which("ip") or next((p for p in ("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip") if os.access(p, os.X_OK)), None)


def run(*args, check=True, stdin=None):
    """Runs `ip args...`; raises RuntimeError with its stderr when it fails and check is set."""
    r = subprocess.run([ip_binary(), *args], capture_output=True, text=True, input=stdin)
    if check and r.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {r.stderr.strip() or f'exit {r.returncode}'}")
    return r


def probe():
    """None when this process can make namespaces, veths and bridges; else the reason it cannot."""
    if sys.platform != "linux":
        return f"not Linux ({sys.platform})"
    if ip_binary() is None:
        return "no ip (iproute2) binary"
    tag = f"{PREFIX}{os.getpid()}"
    try:
        run("netns", "add", f"{tag}-0")
        try:
            run("link", "add", f"{tag}v0", "type", "veth", "peer", "name", f"{tag}e0")
            run("link", "del", f"{tag}v0", check=False)
            run("link", "add", f"{tag}br", "type", "bridge")
            run("link", "del", f"{tag}br", check=False)
        finally:
            run("netns", "del", f"{tag}-0", check=False)
    except (RuntimeError, OSError) as e:
        why = str(e)
        if os.geteuid() != 0:
            why += " (not root: CAP_NET_ADMIN and CAP_SYS_ADMIN are needed)"
        return why
    return None


def owner_pid(name):
    """The pid in a name of this scheme (grc1234-2, grc1234br...), or None for other names."""
    m = NAME.fullmatch(name)
    return int(m.group(1)) if m else None


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def leftovers(names, is_alive=alive):
    """The names of this scheme whose check (pid) is no longer running."""
    return [n for n in names if owner_pid(n) is not None and not is_alive(owner_pid(n))]


def clean_leftovers():
    """Removes the namespaces, veths and bridges of checks that died without cleaning up.
    Returns what it removed."""
    namespaces = [line.split()[0] for line in run("netns", "list", check=False).stdout.splitlines() if line.strip()]
    links = [m.group(1) for m in re.finditer(r"^\d+: ([^:@\s]+)[@:]", run("-o", "link", "show", check=False).stdout, re.M)]
    removed = []
    for ns in leftovers(namespaces):
        run("netns", "del", ns, check=False)
        removed.append(ns)
    # A namespace's veth goes with it; the root side, and the bridge, are removed here.
    for link in leftovers(links):
        if run("link", "del", link, check=False).returncode == 0:
            removed.append(link)
    # Isolation rules whose etcd address no bridge holds any more.
    held = set(re.findall(r"inet (\d+\.\d+\.\d+\.\d+)", run("-o", "-4", "addr", "show", check=False).stdout))
    for rule in orphan_rules(run("rule", "show", check=False).stdout, held):
        run("rule", "del", *rule, check=False)
        removed.append("rule " + " ".join(rule))
    return removed


def orphan_rules(rules, held):
    """The isolation rules (as `ip rule del` arguments) in `ip rule show` output whose etcd
    address (10.77.X.2) is not among the addresses held."""
    out = []
    for m in re.finditer(r"from (10\.77\.\d+\.2) to (10\.77\.\d+\.\d+) unreachable", rules):
        if m.group(1) not in held:
            out.append(["from", f"{m.group(1)}/32", "to", f"{m.group(2)}/32", "unreachable"])
    return out


def free_subnet(used_addresses, start):
    """The third octet X of the first 10.77.X.0/24 (from `start`, wrapping) that none of the
    used IPv4 addresses falls in."""
    taken = {int(m.group(1)) for a in used_addresses if (m := re.match(r"10\.77\.(\d+)\.", a))}
    for i in range(250):
        x = (start + i) % 250
        if x not in taken:
            return x
    raise RuntimeError("every 10.77.X.0/24 is in use")


class Network:
    """A bridge in the root namespace and one namespace per node, joined to it by a veth."""

    def __init__(self, nodes):
        self.nodes = list(nodes)
        self.tag = f"{PREFIX}{os.getpid()}"
        self.bridge = f"{self.tag}br"
        self.subnet = None
        self.made = []  # ("netns"|"link", name), in the order made
        self.down = set()
        self.isolated = set()

    def namespace(self, node):
        return f"{self.tag}-{node}"

    @property
    def host(self):
        """The bridge's address the clients' connections come from."""
        return f"10.77.{self.subnet}.1"

    @property
    def etcd_host(self):
        """The bridge's second address, where etcd listens (isolate() cuts it, not the clients)."""
        return f"10.77.{self.subnet}.2"

    def address(self, node):
        return f"10.77.{self.subnet}.{10 + node}"

    def setup(self):
        removed = clean_leftovers()
        if removed:
            print(f"netns: removed leftovers of checks no longer running: {' '.join(removed)}", flush=True)
        atexit.register(self.teardown)
        used = re.findall(r"inet (\d+\.\d+\.\d+\.\d+)", run("-o", "-4", "addr", "show", check=False).stdout)
        self.subnet = free_subnet(used, os.getpid() % 250)
        try:
            run("link", "add", self.bridge, "type", "bridge")
            self.made.append(("link", self.bridge))
            run("addr", "add", f"{self.host}/24", "dev", self.bridge)
            run("addr", "add", f"{self.etcd_host}/24", "dev", self.bridge)
            run("link", "set", self.bridge, "up")
            for node in self.nodes:
                ns, outside, inside = self.namespace(node), f"{self.tag}v{node}", f"{self.tag}e{node}"
                run("netns", "add", ns)
                self.made.append(("netns", ns))
                run("link", "add", outside, "type", "veth", "peer", "name", inside)
                self.made.append(("link", outside))
                run("link", "set", inside, "netns", ns)
                run("link", "set", outside, "master", self.bridge)
                run("link", "set", outside, "up")
                run("netns", "exec", ns, ip_binary(), "addr", "add", f"{self.address(node)}/24", "dev", inside)
                run("netns", "exec", ns, ip_binary(), "link", "set", inside, "up")
                run("netns", "exec", ns, ip_binary(), "link", "set", "lo", "up")
        except Exception:
            self.teardown()
            raise

    def wrap(self, node, argv):
        """argv run in the node's namespace (ip netns exec execs it: the pid is argv's own)."""
        return [ip_binary(), "netns", "exec", self.namespace(node), *argv]

    def cut(self, node):
        """Cuts the node off from everyone: its veth's root side goes down."""
        run("link", "set", f"{self.tag}v{node}", "down")
        self.down.add(node)

    def isolation_routes(self, node):
        """The addresses isolate() makes unreachable from the node: etcd's and the other nodes'."""
        return [self.etcd_host] + [self.address(n) for n in self.nodes if n != node]

    def isolation_rule(self, node):
        """The root namespace's policy rule that makes the node unreachable from etcd's address."""
        return ["from", f"{self.etcd_host}/32", "to", f"{self.address(node)}/32", "unreachable"]

    def isolate(self, node):
        """Cuts the node off from etcd and the other nodes, both ways; the clients still reach it.
        Each namespace's routes go in in one batch."""
        self.isolated.add(node)
        run("-n", self.namespace(node), "-batch", "-",
            stdin="".join(f"route add unreachable {address}/32\n" for address in self.isolation_routes(node)))
        for peer in self.nodes:
            if peer != node:
                run("-n", self.namespace(peer), "route", "add", "unreachable", f"{self.address(node)}/32")
        run("rule", "add", *self.isolation_rule(node))

    def heal(self, node):
        """Ends a cut or an isolation of the node."""
        if node in self.down:
            run("link", "set", f"{self.tag}v{node}", "up")
            self.down.discard(node)
        if node in self.isolated:
            run("rule", "del", *self.isolation_rule(node), check=False)
            run("-n", self.namespace(node), "-force", "-batch", "-", check=False,
                stdin="".join(f"route del unreachable {address}/32\n" for address in self.isolation_routes(node)))
            for peer in self.nodes:
                if peer != node:
                    run("-n", self.namespace(peer), "route", "del", "unreachable", f"{self.address(node)}/32", check=False)
            self.isolated.discard(node)

    def heal_all(self):
        for node in list(self.down | self.isolated):
            self.heal(node)

    def teardown(self):
        """Removes what setup made (idempotent; also run at exit)."""
        if self.made:
            self.heal_all()
        while self.made:
            kind, name = self.made.pop()
            if kind == "netns":
                run("netns", "del", name, check=False)
            else:
                run("link", "del", name, check=False)
        self.down.clear()
        self.isolated.clear()


def self_test():
    bad = 0
    cases = [("grc123-2", 123), ("grc123br", 123), ("grc45v3", 45), ("grc45e1", 45), ("grc45x1", None),
             ("eth0", None), ("grcbr", None), ("grc12-", None)]
    for name, expect in cases:
        bad += owner_pid(name) != expect
    left = leftovers(["grc1-1", "grc2-1", "grc2br", "eth0", "grc1v1"], is_alive=lambda p: p == 2)
    bad += left != ["grc1-1", "grc1v1"]
    bad += free_subnet(["127.0.0.1", "10.77.5.1", "10.77.6.11"], 5) != 7
    bad += free_subnet(["10.77.249.1"], 249) != 0
    bad += free_subnet([], 3) != 3
    rules = "0:\tfrom all lookup local\n32765:\tfrom 10.77.5.2 to 10.77.5.11 unreachable\n32765:\tfrom 10.77.6.2 to 10.77.6.12 unreachable\n"
    bad += orphan_rules(rules, {"10.77.6.2"}) != [["from", "10.77.5.2/32", "to", "10.77.5.11/32", "unreachable"]]
    print(f"netns self-test: {'ok' if not bad else f'{bad} WRONG'}")
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    elif sys.argv[1:] == ["--clean"]:
        print(" ".join(clean_leftovers()) or "nothing to clean")
    else:
        print(probe() or "network namespaces can be made")
