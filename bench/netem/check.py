#!/usr/bin/env python3
# Checks the bench's userspace netem (forwarder.py): starts it, runs a UDP echo server in
# namespace B and a ping-like client in namespace A (numbered, timestamped datagrams every
# few ms), and prints the round trips (expected about 2 x delay) and the losses (one way,
# from the forwarder's counts; round trip, expected 1 - (1 - p)^2), as JSON.
#
#   sudo python3 bench/netem/check.py --delay 25 --loss 5 [--jitter 0] [--count 2000]
#       [--interval 5] [--seed 1]
#
# Stdlib only; as root. The forwarder and both children are bounded in time and ended in
# a finally; the forwarder deletes its namespaces as it exits.

import argparse
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PORT = 9777
PACKET = struct.Struct("!Id")  # sequence number, send time (monotonic seconds)


def percentile(values, p):
    """Nearest rank, like the bench's percentile() (common.ts)."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, -(-len(s) * p // 100) - 1))]


def echo(idle_s):
    """Echoes every datagram on 10.77.0.2:PORT; exits after `idle_s` without one, or 120 s."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("10.77.0.2", PORT))
    print("listening", flush=True)
    received = 0
    started = time.monotonic()
    while time.monotonic() - started < 120:
        r, _, _ = select.select([sock], [], [], idle_s if received else 30)
        if not r:
            break
        data, addr = sock.recvfrom(2048)
        received += 1
        sock.sendto(data, addr)
    print(json.dumps({"echoReceived": received}), flush=True)


def ping(count, interval_ms, payload):
    """Sends `count` datagrams to 10.77.0.2:PORT every `interval_ms`; round trips as JSON."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("10.77.0.1", 0))
    pad = b"\0" * max(0, payload - PACKET.size)
    rtts = {}
    t0 = time.monotonic()
    sent = 0
    last_send = None
    while True:
        now = time.monotonic()
        if sent < count:
            due = t0 + sent * interval_ms / 1000
            if now >= due:
                sock.sendto(PACKET.pack(sent, now) + pad, ("10.77.0.2", PORT))
                sent += 1
                last_send = now
                continue
            wait = due - now
        else:
            wait = last_send + 2.0 - now  # replies for 2 s after the last datagram
            if wait <= 0:
                break
        r, _, _ = select.select([sock], [], [], wait)
        if r:
            data = sock.recv(2048)
            seq, at = PACKET.unpack_from(data)
            rtts.setdefault(seq, (time.monotonic() - at) * 1000)
    values = list(rtts.values())
    print(json.dumps({
        "sent": sent,
        "received": len(values),
        "rttMs": {
            "min": min(values, default=float("nan")),
            "median": percentile(values, 50),
            "p99": percentile(values, 99),
            "max": max(values, default=float("nan")),
        },
    }), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--delay", type=float, default=25)
    p.add_argument("--jitter", type=float, default=0)
    p.add_argument("--loss", type=float, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--interval", type=float, default=5, help="ms between datagrams")
    p.add_argument("--payload", type=int, default=64, help="bytes per datagram")
    p.add_argument("--role", choices=["echo", "ping"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.role == "echo":
        return echo(3.0)
    if args.role == "ping":
        return ping(args.count, args.interval, args.payload)

    name = f"gnetem-c{os.getpid()}"
    lifetime = 60 + args.count * args.interval / 1000
    fwd = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "forwarder.py"), "--name", name,
         "--delay", str(args.delay), "--jitter", str(args.jitter), "--loss", str(args.loss),
         "--seed", str(args.seed), "--lifetime", str(lifetime)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    children = []
    try:
        line = fwd.stdout.readline()
        if not line.startswith("ready "):
            sys.exit(f"check: the forwarder did not start: {line!r}")
        me = os.path.abspath(__file__)
        srv = subprocess.Popen(["ip", "netns", "exec", name + "-b", sys.executable, me,
                                "--role", "echo"], stdout=subprocess.PIPE, text=True)
        children.append(srv)
        if srv.stdout.readline().strip() != "listening":
            sys.exit("check: the echo server did not start")
        cli = subprocess.run(["ip", "netns", "exec", name + "-a", sys.executable, me,
                              "--role", "ping", "--count", str(args.count), "--interval",
                              str(args.interval), "--payload", str(args.payload)],
                             stdout=subprocess.PIPE, text=True, timeout=lifetime)
        result = json.loads(cli.stdout)
        fwd.stdin.write("stats\n")
        fwd.stdin.flush()
        stats = json.loads(fwd.stdout.readline().split(" ", 1)[1])
        srv_out, _ = srv.communicate(timeout=30)
        result.update(json.loads(srv_out.strip().splitlines()[-1]))
        one_way = {}
        for d in ("a->b", "b->a"):
            udp = stats[d].get("udp", {"in": 0, "dropped": 0})
            one_way[d] = {"in": udp["in"], "dropped": udp["dropped"],
                          "lossPercent": 100 * udp["dropped"] / max(1, udp["in"])}
        p_ = args.loss / 100
        result.update({
            "delayMs": args.delay, "jitterMs": args.jitter, "lossPercent": args.loss,
            "expectedRttMs": 2 * args.delay,
            "roundTripLossPercent": 100 * (1 - result["received"] / max(1, result["sent"])),
            "expectedRoundTripLossPercent": 100 * (1 - (1 - p_) ** 2),
            "oneWay": one_way,
            "forwarder": stats,
        })
        print(json.dumps(result, indent=1))
    finally:
        for c in children:
            if c.poll() is None:
                c.kill()
                c.wait()
        if fwd.poll() is None:
            try:
                fwd.stdin.close()  # EOF: the forwarder stops and deletes its namespaces
            except BrokenPipeError:
                pass
            try:
                fwd.wait(timeout=20)
            except subprocess.TimeoutExpired:
                fwd.kill()
                fwd.wait()
        for ns in (name + "-a", name + "-b"):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
