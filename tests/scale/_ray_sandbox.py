"""Run examples/ray_batch.py against ``cf-gateway emulator`` inside a private network namespace.

Ray's own servers (GCS, raylet, workers) listen on every interface and Ray has no option to
restrict them to loopback; in a fresh network namespace loopback is the only interface, so
nothing Ray or the example opens can be reached from, or reach, any other address. Usage:

    python tests/scale/_ray_sandbox.py --rows 40

Prints one JSON line: the namespace's interfaces and the example's summary.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import selectors
import socket
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def isolate() -> None:
    """Enter a new network namespace (as root, or in a new user namespace) and bring lo up."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) failed")
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cf_gateway_core.cli", "emulator", "--port", "0", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(60.0):
            proc.kill()
            raise RuntimeError("the emulator printed nothing in time")
    url = proc.stdout.readline().split()[-1]
    return proc, url


def main() -> None:
    isolate()
    interfaces = [name for _, name in socket.if_nameindex()]
    emulator, url = start_emulator()
    try:
        example = subprocess.run(
            [
                sys.executable,
                str(ROOT / "examples" / "ray_batch.py"),
                "--base-url",
                url,
                "--account-id",
                "sandbox",
                "--api-token",
                "sandbox-token-0123456789",
                *sys.argv[1:],
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
        )
    finally:
        emulator.terminate()
        emulator.communicate(timeout=10)
    if example.returncode != 0:
        sys.stderr.write(example.stderr[-5000:])
        raise SystemExit(example.returncode)
    result = json.loads(example.stdout.strip().splitlines()[-1])
    print(json.dumps({"interfaces": interfaces, "emulator": url, "result": result}))


if __name__ == "__main__":
    main()
