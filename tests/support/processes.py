"""The mesh as real processes, started one by one as `xueji up` starts them (cli/mesh.py):
nats-server with TLS and the federation's users, the registry stand-ins, the hub and the
province nodes, each `python -m cli …` in its own session with its own certificate and store.

For the fault matrix (NFR-4): a service can be restarted *armed* (`XUEJI_KILL_AT=<point>`,
`xueji/faults.py`), and every wait of a test *revives* what died — checks that it died by
SIGKILL at the armed point, and starts it again unarmed — so a test drives the business
over HTTP as users would, retrying what failed, until the end state is reached.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from contracts import subjects
from simulations.demo import DEMO_PASSWORD
from tests.support.nats import NatsServer
from xueji.cipher import KEY_FILE_NAME, ensure_key_file, new_key
from xueji.faults import ENV_VAR, MARK
from xueji.pki import tls_env
from xueji.processes import free_port, spawn_service, stop, wait_healthy

#: A service whose log shows this died of something else than its armed point.
START_TIMEOUT = 60.0


class Unexpected(AssertionError):
    """A process exited, but not by the fault point it was armed with."""


class ProcessMesh:
    def __init__(
        self,
        var: Path,
        provinces: list[str],
        store_urls: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """SQLite stores under `var` (as `xueji up`), or `store_urls` (PostgreSQL); `env`:
        settings every process gets (e.g. `XUEJI_CLAIM_GRACE_SECONDS`)."""
        self.var, self.provinces = var.resolve(), provinces
        self.env = dict(env or {})
        (self.var / "logs").mkdir(parents=True, exist_ok=True)
        self.store_urls = store_urls or {}
        self.nats = NatsServer(self.var / "nats")
        self.ports = {"hub": free_port()} | {p: free_port() for p in provinces}
        self.processes: dict[str, subprocess.Popen] = {}
        self.armed: dict[str, str] = {}
        self._log_start: dict[str, int] = {}
        self._commands: dict[str, tuple[list[str], str]] = {}
        #: (service, point) of every kill seen, in order.
        self.killed: list[tuple[str, str]] = []
        self._tokens: dict[tuple[str, str], str] = {}
        if self.store_urls:  # PostgreSQL stores are always encrypted (SEC-7)
            self.cipher_key = new_key()
        else:
            self.cipher_key = None
            ensure_key_file(self.var / KEY_FILE_NAME)  # found beside the SQLite stores

    # --- processes ---------------------------------------------------------------------------

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start_all(self) -> None:
        self.nats.start()
        codes = ",".join(self.provinces)
        self._spawn("registry", ["registry", "--provinces", codes], subjects.REGISTRY_CLIENT)
        self._spawn("preschool", ["preschool", "--provinces", codes], subjects.PRESCHOOL_CLIENT)
        for service in ["hub", *self.provinces]:
            self.start(service)
        for service in ["hub", *self.provinces]:
            self.wait_up(service)

    def start(self, service: str, kill_at: str | None = None) -> None:
        """Starts `hub` or a province node (not waiting); `kill_at` arms its fault point."""
        if service == "hub":
            args = ["hub", "--port", str(self.ports["hub"]), "--demo-data"]
            client = subjects.HUB_CLIENT
        else:
            args = ["node", "--province", service, "--port", str(self.ports[service])]
            args.append("--demo-data")
            client = subjects.province_client(service)
        self._spawn(service, args, client, kill_at)

    def wait_up(self, service: str) -> None:
        wait_healthy(f"{self.url(service)}/healthz", self.processes[service], START_TIMEOUT)

    def _spawn(
        self, service: str, args: list[str], client: str, kill_at: str | None = None
    ) -> None:
        env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
        env |= {
            "XUEJI_NATS_URL": self.nats.url,
            "XUEJI_VAR_DIR": str(self.var),
            "XUEJI_PROVINCES": ",".join(self.provinces),
            "PYTHONUNBUFFERED": "1",
            **tls_env(self.nats.tls(client)),
            **self.env,
        }
        if service in self.store_urls:
            env["XUEJI_DB_URL"] = self.store_urls[service]
            env["XUEJI_CIPHER_KEY"] = self.cipher_key
            env["XUEJI_ALLOW_DEMO_ON_POSTGRESQL"] = "true"
        if kill_at:
            env[ENV_VAR] = kill_at
            self.armed[service] = kill_at
        else:
            self.armed.pop(service, None)
        self._commands[service] = (args, client)
        log = self._log(service)
        self._log_start[service] = log.stat().st_size if log.exists() else 0
        self.processes[service] = spawn_service(args, env, log)

    def _log(self, service: str) -> Path:
        name = service if service in ("hub", "registry", "preschool") else f"prov{service}"
        return self.var / "logs" / f"{name}.log"

    def log_since_start(self, service: str) -> str:
        with open(self._log(service), "rb") as log:
            log.seek(self._log_start.get(service, 0))
            return log.read().decode(errors="replace")

    def restart(self, service: str, kill_at: str | None = None) -> None:
        """Stops `service` politely and starts it again (armed with `kill_at`), up."""
        stop(self.processes[service])
        self._tokens = {k: v for k, v in self._tokens.items() if k[0] != service}
        self._spawn(service, *self._commands[service], kill_at)
        self.wait_up(service)

    def arm(self, service: str, point: str) -> None:
        self.restart(service, point)

    def disarm(self) -> None:
        """After a test: every service up and unarmed again — one still armed (its point
        never reached) restarted, one that died (at its point or not) started again."""
        for service, process in list(self.processes.items()):
            if process.poll() is not None:
                self._spawn(service, *self._commands[service])
                if service in self.ports:
                    self.wait_up(service)
            elif service in self.armed:
                self.restart(service)
        if self.nats.process is None:
            self.nats.start()

    def revive(self) -> list[str]:
        """Starts again, unarmed, each service that died at its armed point; raises
        `Unexpected` for one that exited otherwise. The services revived."""
        revived = []
        for service, process in list(self.processes.items()):
            code = process.poll()
            if code is None:
                continue
            log = self.log_since_start(service)
            point = self.armed.get(service)
            name = (point or "").partition(":")[0]  # `<name>:<n>`: the n-th pass of <name>
            if code != -signal.SIGKILL or point is None or f"{MARK} {name}\n" not in log:
                raise Unexpected(f"{service} exited with {code}, armed {point!r}:\n{log[-3000:]}")
            self.killed.append((service, point))
            self._tokens = {k: v for k, v in self._tokens.items() if k[0] != service}
            self._spawn(service, *self._commands[service])
            self.wait_up(service)
            revived.append(service)
        return revived

    def kill_nats(self) -> None:
        """nats-server killed (SIGKILL), not stopped: no flush, no goodbye to clients."""
        process = self.nats.process
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.nats.process = None

    def stop_all(self) -> None:
        for service in [*self.provinces, "hub", "preschool", "registry"]:
            if service in self.processes:
                stop(self.processes.pop(service))
        self.nats.stop()

    # --- HTTP as the demo users -----------------------------------------------------------

    def call(
        self, service: str, method: str, path: str, user: str | None = None, **kwargs
    ) -> httpx.Response:
        """One request as `user` (logged in once per service start); transport errors
        (the service is down) are raised."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if user is not None:
            headers["Authorization"] = f"Bearer {self._token(service, user)}"
        response = httpx.request(
            method, f"{self.url(service)}{path}", headers=headers, timeout=30, **kwargs
        )
        if user is not None and response.status_code == 401:
            self._tokens.pop((service, user), None)
        return response

    def _token(self, service: str, user: str) -> str:
        if (service, user) not in self._tokens:
            response = httpx.post(
                f"{self.url(service)}/api/v1/auth/login",
                json={"username": user, "password": DEMO_PASSWORD},
                timeout=30,
            )
            assert response.status_code == 200, response.text
            self._tokens[(service, user)] = response.json()["access_token"]
        return self._tokens[(service, user)]

    def eventually(self, check: Callable[[], object], timeout: float = 60.0) -> object:
        """Runs `check` until it returns something true, reviving killed services between
        tries; a service down (transport error) or unavailable (503) is one more try."""
        deadline = time.monotonic() + timeout
        last: object = None
        while True:
            self.revive()
            try:
                result = check()
                if result:
                    return result
                last = result
            except (httpx.TransportError, Unavailable) as exc:
                last = exc
            if time.monotonic() > deadline:
                raise TimeoutError(f"not reached in {timeout}s; last: {last!r}")
            time.sleep(0.2)


class Unavailable(Exception):
    """The service answered 5xx: down behind it, try again."""


def ok(response: httpx.Response, *statuses: int) -> httpx.Response:
    """The response if its status is one of `statuses` (default 2xx); `Unavailable` for a
    5xx (retried by `eventually`); an assertion error otherwise."""
    if response.status_code >= 500:
        raise Unavailable(f"{response.status_code} {response.text[:300]}")
    if statuses:
        assert response.status_code in statuses, response.text
    else:
        assert response.is_success, response.text
    return response
