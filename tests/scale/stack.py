"""The production-like stack on one machine: HAProxy (deploy/haproxy.cfg) in front of several web processes
(scripts/web-server.sh), Celery workers and celery beat, on MariaDB and Redis; for `make scale` and its test.

Every process is a child started here, on free ports, and stopped when the stack's block ends. The web
processes trust X-Forwarded-For from the balancer only: the balancer connects to them from 127.0.0.2
(`LB_SOURCE`), the only address in their TRUSTED_PROXIES, so a client on 127.0.0.1 that talks to a web
process directly cannot name its own address.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from tests.fixtures.live_server import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"
WEB_SERVER = ROOT / "scripts" / "web-server.sh"
LB_SOURCE = "127.0.0.2"  # the balancer's address as the web processes see it


def wait_until(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.05) -> float:
    """Poll `predicate` until it is true; the seconds it took. RuntimeError naming `what` after `timeout`."""
    started = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what}: not after {timeout:.0f} s")
        time.sleep(interval)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log.open("ab")
        # a session of its own: a kill reaches the whole process group (a prefork worker's pool too)
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive:
            assert self.process is not None
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def stop(self, timeout: float = 15) -> None:
        if self.process is None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL to the whole group: a crash, not a shutdown."""
        if self.process is None:
            return
        self.signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Stack:
    """Build with `scale_stack(...)`; ports and children are filled in as they start."""

    workdir: Path
    env: dict[str, str]
    web_ports: dict[str, int] = field(default_factory=dict)
    webs: dict[str, Child] = field(default_factory=dict)
    workers: dict[str, Child] = field(default_factory=dict)
    beat: Child | None = None
    balancer: Child | None = None
    lb_port: int = 0
    metrics_port: int = 0

    @property
    def socket_path(self) -> Path:
        return self.workdir / "haproxy.sock"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}"

    # --- the balancer's admin socket ---------------------------------------------------------------

    def admin(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket_path))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def stats(self) -> list[dict[str, str]]:
        text = self.admin("show stat").lstrip("# ")
        return [row for row in csv.DictReader(text.splitlines()) if row.get("pxname")]

    def server(self, backend: str, name: str) -> dict[str, str]:
        for row in self.stats():
            if row["pxname"] == backend and row["svname"] == name:
                return row
        raise KeyError(f"{backend}/{name}")

    def status(self, name: str) -> str:
        """UP, DOWN, DRAIN, MAINT (… "UP 1/2" while a check is changing its mind) of a web process."""
        return self.server("web", name)["status"]

    def is_up(self, name: str) -> bool:
        return self.status(name) == "UP"

    def is_down(self, name: str) -> bool:
        return self.status(name).startswith(("DOWN", "MAINT"))

    def http_in_flight(self, name: str) -> int:
        return int(self.server("web", name)["scur"] or 0)

    def websockets(self, name: str) -> int:
        return int(self.server("ws", name)["scur"] or 0)

    # --- processes -----------------------------------------------------------------------------------

    def _web(self, name: str, port: int) -> Child:
        env = {**self.env, "PYTHON": sys.executable, "TRUSTED_PROXIES": LB_SOURCE}
        return Child(name, ["bash", str(WEB_SERVER), "127.0.0.1", str(port)], env, self.workdir / f"{name}.log")

    def start_web(self, name: str) -> None:
        child = self.webs.get(name) or self._web(name, self.web_ports[name])
        self.webs[name] = child
        child.start()
        try:
            wait_for_port(self.web_ports[name], timeout=90)
        except RuntimeError:
            raise RuntimeError(f"{name} did not start:\n{child.tail()}") from None

    def _worker(self, name: str, queue: str) -> Child:
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-n", f"{name}@%h"]
        command += ["-Q", queue, "--pool=prefork", "--concurrency=1", "--loglevel=WARNING"]
        command += ["--without-gossip", "--without-mingle"]
        return Child(name, command, self.env, self.workdir / f"{name}.log")

    def start_worker(self, name: str, *, orders: bool = False) -> None:
        """A worker on the default queue (SCALE_QUEUE), or with `orders` one on order creation's
        (SCALE_ORDERS_QUEUE), as production runs them (docker-compose's worker and orders-worker)."""
        queue = self.env["SCALE_ORDERS_QUEUE" if orders else "SCALE_QUEUE"]
        child = self.workers.get(name) or self._worker(name, queue)
        self.workers[name] = child
        child.start()

    def start_balancer(self) -> None:
        env = {
            **os.environ,
            "LB_BIND": f"127.0.0.1:{self.lb_port}",
            "LB_METRICS_BIND": f"127.0.0.1:{self.metrics_port}",
            "LB_SOCKET": str(self.socket_path),
            "LB_SOURCE": LB_SOURCE,
            "LB_HEALTH_HOST": "127.0.0.1",
            "LB_SHOW_SERVER": "1",
        }
        for index, (_, port) in enumerate(sorted(self.web_ports.items()), start=1):
            env[f"WEB{index}"] = f"127.0.0.1:{port}"
        self.balancer = Child("haproxy", ["haproxy", "-f", str(HAPROXY_CONFIG)], env, self.workdir / "haproxy.log")
        self.balancer.start()
        try:
            wait_until(lambda: not self.balancer.alive or _listening(self.lb_port), 30, "the balancer")  # type: ignore[union-attr]
        finally:
            if not self.balancer.alive:
                raise RuntimeError(f"haproxy did not start:\n{self.balancer.tail()}")
        wait_until(self.socket_path.exists, 10, "the balancer's admin socket")

    # --- operations ------------------------------------------------------------------------------------

    def drain_and_stop_web(self, name: str, timeout: float = 30) -> dict[str, float]:
        """The graceful half of a rolling restart: no new requests, the ones in flight finish, then the
        process' WebSockets are closed (their clients reconnect to another process) and it stops."""
        started = time.monotonic()
        self.admin(f"set server web/{name} state drain")
        self.admin(f"set server ws/{name} state drain")
        wait_until(lambda: self.http_in_flight(name) == 0, timeout, f"{name}'s HTTP requests in flight")
        drained = time.monotonic() - started
        self.admin(f"shutdown sessions server ws/{name}")
        self.webs[name].stop()
        return {"drained_s": drained, "stopped_s": time.monotonic() - started}

    def start_web_ready(self, name: str, timeout: float = 90) -> float:
        """Start a stopped web process again and hand it traffic once its health check passes."""
        started = time.monotonic()
        self.start_web(name)
        self.admin(f"set server web/{name} state ready")
        self.admin(f"set server ws/{name} state ready")
        wait_until(lambda: self.is_up(name), timeout, f"{name} back up")
        return time.monotonic() - started

    def stop(self) -> None:
        children = [*self.webs.values(), *self.workers.values(), self.beat, self.balancer]
        for child in children:
            if child is not None and child.alive:
                child.signal(signal.SIGTERM)
        for child in children:
            if child is not None:
                child.stop()


@contextmanager
def scale_stack(
    workdir: Path, env: dict[str, str], *, webs: int = 2, workers: int = 2, orders_workers: int = 1, beat: bool = True
) -> Iterator[Stack]:
    """The balancer, `webs` web processes, `workers` Celery workers, `orders_workers` order-creation workers
    and (when `beat`) celery beat, all up and the balancer seeing every web process healthy; stopped when the
    block ends. `env` is the children's environment (database, Redis prefixes; SCALE_QUEUE and
    SCALE_ORDERS_QUEUE: the Celery queues the workers and the order-creation workers consume)."""
    stack = Stack(workdir=workdir, env=env)
    stack.web_ports = {f"web{i}": free_port() for i in range(1, webs + 1)}
    stack.lb_port, stack.metrics_port = free_port(), free_port()
    try:
        for name in stack.web_ports:
            stack.start_web(name)
        stack.start_balancer()
        for index in range(1, workers + 1):
            stack.start_worker(f"worker{index}")
        for index in range(1, orders_workers + 1):
            stack.start_worker(f"orders{index}", orders=True)
        if beat:
            command = [sys.executable, "-m", "celery", "-A", "config", "beat", "--pidfile=", "--loglevel=WARNING"]
            stack.beat = Child("beat", command, env, workdir / "beat.log")
            stack.beat.start()
        for name in stack.web_ports:
            wait_until(lambda name=name: stack.is_up(name), 60, f"{name} healthy behind the balancer")  # type: ignore[misc]
        yield stack
    finally:
        stack.stop()
