#!/usr/bin/env python3
# A userspace netem for the bench: two network namespaces joined by a TUN device each, and
# this process between them forwarding every IP packet after a seeded delay (one way, with
# optional jitter) or dropping it with a seeded probability, both directions alike.
#
#   python3 bench/netem/forwarder.py --name gnetem-123 --delay 25 --loss 5 [--jitter 2]
#       [--seed 1] [--reorder] [--lifetime 1800]
#
# As root (ip netns, /dev/net/tun). It creates the namespaces <name>-a (10.77.0.1) and
# <name>-b (10.77.0.2), prints one line `ready {json}` on stdout, then forwards until its
# stdin closes, it reads `quit`, it gets SIGTERM/SIGINT or its lifetime ends; `stats` on
# stdin prints `stats {json}` (packets and bytes per direction and protocol). On the way out
# (finally) it deletes both namespaces, which removes the TUN devices: nothing outlives it
# but what a SIGKILL leaves (the bench then deletes the namespaces itself; see netem.ts).
# Nothing is routed out of the two namespaces: only 10.77.0.1 <-> 10.77.0.2 exists there.
#
# Stdlib only (Node cannot ioctl). Python 3.9 or later.

import argparse
import fcntl
import heapq
import json
import os
import random
import select
import signal
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
ADDR_A = "10.77.0.1"
ADDR_B = "10.77.0.2"
PROTOCOLS = {1: "icmp", 6: "tcp", 17: "udp"}


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, timeout=20)


def open_tun(ifname):
    """A TUN device (no packet information header) of that name in this namespace, its fd."""
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", ifname.encode(), IFF_TUN | IFF_NO_PI))
    except BaseException:
        os.close(fd)
        raise
    return fd


def setup_side(ns, ifname, local, peer):
    """Moves `ifname` into `ns`, gives it `local`/32 and a route to `peer`, brings lo up."""
    run("ip", "link", "set", "dev", ifname, "netns", ns)
    run("ip", "-n", ns, "link", "set", "lo", "up")
    run("ip", "-n", ns, "addr", "add", local + "/32", "dev", ifname)
    run("ip", "-n", ns, "link", "set", ifname, "mtu", "1500", "up")
    run("ip", "-n", ns, "route", "add", peer + "/32", "dev", ifname, "src", local)


def delete_ns(ns):
    subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL, timeout=20)


class Direction:
    """One way (A to B or B to A): its own loss and delay streams, its counters."""

    def __init__(self, name, out_fd, seed, args):
        self.name = name
        self.out_fd = out_fd
        self.loss_rng = random.Random(f"{seed}:{name}:loss")
        self.delay_rng = random.Random(f"{seed}:{name}:delay")
        self.loss = args.loss / 100.0
        self.delay = args.delay / 1000.0
        self.jitter = args.jitter / 1000.0
        self.reorder = args.reorder
        self.last_due = 0.0
        self.counts = {}

    def count(self, key, proto, size):
        c = self.counts.setdefault(proto, {"in": 0, "dropped": 0, "out": 0, "bytesIn": 0})
        c[key] += 1
        if key == "in":
            c["bytesIn"] += size

    def schedule(self, packet, now):
        """When to write the packet out (monotonic seconds), or None to drop it."""
        v4 = len(packet) >= 20 and packet[0] >> 4 == 4
        proto = PROTOCOLS.get(packet[9], "other") if v4 else "other"
        self.count("in", proto, len(packet))
        # Both draws for every packet, so that loss and delay streams stay independent.
        lost = self.loss_rng.random() < self.loss
        d = self.delay
        if self.jitter > 0:
            d = max(0.0, d + self.delay_rng.uniform(-self.jitter, self.jitter))
        if lost:
            self.count("dropped", proto, len(packet))
            return None
        due = now + d
        if not self.reorder:
            due = max(due, self.last_due)
            self.last_due = due
        return due, proto


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--name", required=True, help="namespaces <name>-a and <name>-b")
    p.add_argument("--delay", type=float, default=0.0, help="one-way delay, ms")
    p.add_argument("--jitter", type=float, default=0.0, help="uniform +- ms around the delay")
    p.add_argument("--loss", type=float, default=0.0, help="percent, per packet, each way")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--reorder", action="store_true", help="let jitter reorder packets")
    p.add_argument("--lifetime", type=float, default=1800.0, help="seconds, then exit")
    args = p.parse_args()
    if len(args.name) > 20 or not args.name.replace("-", "").isalnum():
        sys.exit("forwarder: --name: up to 20 letters, digits and dashes")

    ns_a, ns_b = args.name + "-a", args.name + "-b"
    tag = args.name[-10:].replace("-", "")
    if_a, if_b = ("gta" + tag)[:15], ("gtb" + tag)[:15]
    stop = {"why": None}

    def on_signal(signum, _frame):
        stop["why"] = signal.Signals(signum).name

    # The network's own time should not wait behind the bench's processes on a busy machine.
    try:
        os.nice(-10)
    except OSError:
        pass
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    fds = []
    created = []
    try:
        for ns in (ns_a, ns_b):
            delete_ns(ns)  # a leftover of a killed run of the same name
            run("ip", "netns", "add", ns)
            created.append(ns)
            # IPv4 only: no router solicitations or other IPv6 chatter through the forwarder.
            for key in ("all", "default"):
                run("ip", "netns", "exec", ns, "sysctl", "-qw",
                    f"net.ipv6.conf.{key}.disable_ipv6=1")
        fd_a = open_tun(if_a)
        fds.append(fd_a)
        fd_b = open_tun(if_b)
        fds.append(fd_b)
        setup_side(ns_a, if_a, ADDR_A, ADDR_B)
        setup_side(ns_b, if_b, ADDR_B, ADDR_A)
        # Packets read from A's device go out of B's, and the other way.
        dirs = {fd_a: Direction("a->b", fd_b, args.seed, args),
                fd_b: Direction("b->a", fd_a, args.seed, args)}
        write_errors = 0
        late = {"over1ms": 0, "maxMs": 0.0}  # how long after its due time a packet went out
        queue = []  # (due, seq, out_fd, packet, direction, proto)
        seq = 0
        deadline = time.monotonic() + args.lifetime
        stdin = sys.stdin.fileno()
        pending = b""

        def stats():
            return {d.name: d.counts for d in dirs.values()} | {
                "queued": len(queue), "writeErrors": write_errors, "late": late}

        print("ready " + json.dumps({"a": {"netns": ns_a, "dev": if_a, "addr": ADDR_A},
                                     "b": {"netns": ns_b, "dev": if_b, "addr": ADDR_B},
                                     "delayMs": args.delay, "jitterMs": args.jitter,
                                     "lossPercent": args.loss, "seed": args.seed,
                                     "reorder": args.reorder}), flush=True)
        readers = [fd_a, fd_b, stdin]
        while stop["why"] is None:
            now = time.monotonic()
            if now >= deadline:
                stop["why"] = "lifetime"
                break
            timeout = deadline - now
            if queue:
                timeout = min(timeout, max(0.0, queue[0][0] - now))
            try:
                ready, _, _ = select.select(readers, [], [], timeout)
            except InterruptedError:
                continue
            now = time.monotonic()
            for fd in ready:
                if fd == stdin:
                    chunk = os.read(stdin, 4096)
                    if not chunk:
                        stop["why"] = "stdin closed"
                        break
                    pending += chunk
                    while b"\n" in pending:
                        line, pending = pending.split(b"\n", 1)
                        cmd = line.decode().strip()
                        if cmd == "stats":
                            print("stats " + json.dumps(stats()), flush=True)
                        elif cmd == "quit":
                            stop["why"] = "quit"
                    continue
                d = dirs[fd]
                while True:
                    try:
                        packet = os.read(fd, 65535)
                    except BlockingIOError:
                        break
                    s = d.schedule(packet, now)
                    if s is not None:
                        heapq.heappush(queue, (s[0], seq, d.out_fd, packet, d, s[1]))
                        seq += 1
            now = time.monotonic()
            while queue and queue[0][0] <= now:
                due, _, out_fd, packet, d, proto = heapq.heappop(queue)
                lag = (now - due) * 1000
                late["maxMs"] = max(late["maxMs"], lag)
                late["over1ms"] += lag > 1
                try:
                    os.write(out_fd, packet)
                    d.count("out", proto, len(packet))
                except OSError:
                    write_errors += 1
        print("stopped " + json.dumps({"why": stop["why"], **stats()}), flush=True)
    finally:
        for fd in fds:
            os.close(fd)
        for ns in created:
            delete_ns(ns)


if __name__ == "__main__":
    main()
