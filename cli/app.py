"""The `xueji` command (Typer): `up`, `hub`, `node`, `create-sysadmin`, `bench …`, `verify-log`,
`audit …`, `reconcile …`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from cli.accounts import create_sysadmin
from cli.audit import audit_app, verify_log
from cli.reconcile import reconcile_app
from cli.repair import repair_app
from xueji.seeding import NO_SEED, Seed

app = typer.Typer(help="xueji 学籍: province nodes and the ministry hub", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks, each against the raw limit measured in the same run")
app.add_typer(bench_app, name="bench")
app.add_typer(audit_app, name="audit")
app.add_typer(reconcile_app, name="reconcile")
app.add_typer(repair_app, name="repair")
app.command("verify-log")(verify_log)
app.command("create-sysadmin")(create_sysadmin)

DEMO_PROVINCES = "34,37,44"
#: SEC-8: nothing default in production. `xueji hub|node` load no demo data unless told to
#: (`--demo-data` or XUEJI_DEMO_DATA=true); only `xueji up`, the local demo mesh, tells them.
DemoData = Annotated[
    bool,
    typer.Option(
        envvar="XUEJI_DEMO_DATA",
        help="Load the demo schools and accounts (published password) at start: local demo only",
    ),
]


@app.command()
def up(
    var: Annotated[Path, typer.Option(help="Where stores and logs go")] = Path("var"),
    provinces: Annotated[
        str, typer.Option(help="Province codes, comma-separated")
    ] = DEMO_PROVINCES,
    nats_port: int = 4222,
    hub_port: int = 8000,
    node_port_prefix: Annotated[
        int, typer.Option(help="Node NN listens on <prefix>NN (80 -> 8044)")
    ] = 80,
) -> None:
    """Start the whole mesh locally: nats-server, the hub, province nodes, demo data."""
    from cli.mesh import run_mesh

    codes = provinces.split(",")
    ports = {"hub": hub_port} | {p: node_port_prefix * 100 + int(p) for p in codes}
    raise typer.Exit(run_mesh(var, codes, nats_port, ports))


@app.command()
def hub(port: int = 8000, host: str = "127.0.0.1", demo_data: DemoData = False) -> None:
    """Run the hub (settings from XUEJI_* environment variables)."""
    from hub.bootstrap import create_app

    app_ = create_app(seed=_seed(demo_data))
    uvicorn.run(app_, host=host, port=port, log_config=None, access_log=False)


@app.command()
def node(
    province: Annotated[str, typer.Option(help="Two-digit province code, e.g. 44")],
    port: Annotated[int | None, typer.Option(help="HTTP port; default 80<province>")] = None,
    host: str = "127.0.0.1",
    demo_data: DemoData = False,
) -> None:
    """Run one province node (other settings from XUEJI_* environment variables)."""
    from province_node.bootstrap import create_app
    from province_node.settings import NodeSettings

    app_ = create_app(NodeSettings(province=province), seed=_seed(demo_data))
    uvicorn.run(
        app_, host=host, port=port or int(f"80{province}"), log_config=None, access_log=False
    )


def _seed(demo_data: bool) -> Seed:
    from simulations.demo import DEMO

    return DEMO if demo_data else NO_SEED


@app.command()
def registry(
    provinces: Annotated[str, typer.Option(help="Whose people it knows")] = DEMO_PROVINCES,
    people: Annotated[int, typer.Option(help="People per province")] = 20_000,
) -> None:
    """Run the population-registry stand-in (REG-5) on XUEJI_NATS_URL."""
    import asyncio

    from simulations.registry import run
    from xueji.pki import NatsClientSettings

    nats = NatsClientSettings()  # XUEJI_NATS_URL and the certificate files (SEC-5)
    asyncio.run(run(nats.nats_url, provinces.split(","), people, nats.nats_tls()))


@app.command()
def preschool(
    provinces: Annotated[str, typer.Option(help="Whose children it knows")] = DEMO_PROVINCES,
    children: Annotated[int, typer.Option(help="Pre-school records per province")] = 5_000,
) -> None:
    """Run the pre-school registry stand-in 学前学籍 (REG-2) on XUEJI_NATS_URL."""
    import asyncio

    from simulations.preschool import run
    from xueji.pki import NatsClientSettings

    nats = NatsClientSettings()  # XUEJI_NATS_URL and the certificate files (SEC-5)
    asyncio.run(run(nats.nats_url, provinces.split(","), children, nats.nats_tls()))


@app.command()
def rebuild(
    view: Annotated[str, typer.Argument(help="students, registrations, or all")],
    province: Annotated[str, typer.Option(help="Two-digit province code")] = "44",
) -> None:
    """AUD-3: drop a read model of a (stopped) node and rebuild it from the event log."""
    from province_node.views.rebuild import rebuild as run_rebuild

    try:
        done = run_rebuild(province, view)
    except KeyError as exc:
        raise typer.BadParameter(str(exc.args[0])) from None
    for name, events, seconds in done:
        typer.echo(f"{name}: {events} events read in {seconds:.1f} s")


@bench_app.command("outbox")
def bench_outbox(
    events: Annotated[int, typer.Option(help="Events to store, then publish")] = 20_000,
    work: Annotated[Path, typer.Option(help="Scratch directory")] = Path("var/bench"),
) -> None:
    """Outbox relay throughput (events/s) next to raw SQLite commits and raw JetStream publishes."""
    from simulations.bench.outbox import main

    main(events, work)


@bench_app.command("registration")
def bench_registration(
    identities: Annotated[int, typer.Option(help="Identities in the hub's index")] = 1_000_000,
    rows: Annotated[int, typer.Option(help="Rows of the imported Excel file")] = 10_000,
    work: Annotated[Path, typer.Option(help="Scratch directory")] = Path("var/bench-registration"),
) -> None:
    """Excel import into a node while the national index is full, next to raw SQLite and NATS."""
    from simulations.bench.registration import main

    main(identities, rows, work)


@bench_app.command("transfer")
def bench_transfer(
    transfers: Annotated[int, typer.Option(help="Complete transfers to run")] = 200,
    work: Annotated[Path, typer.Option(help="Scratch directory")] = Path("var/bench-transfer"),
) -> None:
    """Cross-province transfers/s and decision → pending-list latency next to raw NATS."""
    from simulations.bench.transfer import main

    main(transfers, work)


@bench_app.command("chain")
def bench_chain(
    events: Annotated[int, typer.Option(help="Registrations per store")] = 3_000,
    work: Annotated[Path, typer.Option(help="Scratch directory")] = Path("var/bench-chain"),
) -> None:
    """Hash-chain cost (AUD-4): plain vs chained store A/B, verify-log and audit read rates."""
    from simulations.bench.chain import main

    main(events, work)


@bench_app.command("replay")
def bench_replay(
    events: Annotated[int, typer.Option(help="Events in the seeded log")] = 1_000_000,
    work: Annotated[Path, typer.Option(help="Scratch directory")] = Path("var/bench-replay"),
) -> None:
    """AUD-3 rebuild of every view (events/s) next to a raw sqlite3 scan of the same table."""
    from simulations.bench.replay import main

    main(events, work)


@bench_app.command("promotion")
def bench_promotion(
    students: Annotated[int, typer.Option(help="Students in the province")] = 200_000,
    work: Annotated[Path, typer.Option(help="Scratch directory")] = Path("var/bench-promotion"),
) -> None:
    """GRD-3 promotion job (records/s) next to a raw sqlite3 scan of the same table."""
    from simulations.bench.promotion import main

    main(students, work)


@bench_app.command("query")
def bench_query(
    students: Annotated[int, typer.Option(help="Students in the province")] = 200_000,
    requests: Annotated[int, typer.Option(help="Requests per query shape")] = 40,
    work: Annotated[Path, typer.Option(help="Scratch directory")] = Path("var/bench-query"),
) -> None:
    """p95 of the students query endpoints (QRY-1/2/6) next to the same SQL run raw."""
    from simulations.bench.query import main

    main(students, requests, work)
