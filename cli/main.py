"""The ``chain-graph`` command: the composition root that wires ingest, store and output.

Exit codes: 0 success, 1 the ledgers have problems (nothing written), 2 a usage or
configuration error, 3 the store failed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from application import queries
from chain_graph.errors import (
    ConfigError,
    LedgerValidationError,
)
from chain_graph.labels import PROBLEM_STATUS_LABELS, TABLE_LABELS
from chain_graph.model import ProblemStatus
from chain_graph.scenarios import Scenario
from chain_graph.settings import Settings
from chain_graph.store import open_store

if TYPE_CHECKING:
    from application.imports import ImportOutcome
    from application.workspace import Snapshot, Workspace
    from chain_graph.store import Store
from cli.common import (
    SHOWN_ISSUES,
    KeepValidOption,
    RejectsOption,
    StoreOption,
    console,
    errors,
    issue_table,
    load_settings,
    skipped_table,
    user_errors,
)
from cli.coordination import coordination_app
from cli.documents import export_app, report_app
from cli.ledger import ledger_app
from cli.maps import map_command
from cli.reports import reports_app, write_prefilled
from cli.serve import serve, users_app

app = typer.Typer(
    name="chain-graph",
    help="产业链供应链断点堵点梳理：台账导入、缺口分析与协调清单。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(ledger_app, name="ledger")
app.add_typer(coordination_app, name="coordination")
app.add_typer(export_app, name="export")
app.add_typer(report_app, name="report")
app.add_typer(users_app, name="users")
app.add_typer(reports_app, name="reports")
app.command()(serve)
app.command("map")(map_command)


@contextmanager
def _stages(data_dir: Path) -> Iterator[Callable[[str], None]]:
    """Show a progress bar over the import stages: each file, validation, addresses, write."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    files = len(list(data_dir.glob("*.*"))) if data_dir.is_dir() else 0
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("导入台账", total=files + 3)
        started = False

        def advance(line: str) -> None:
            nonlocal started
            bar.update(task, description=line, advance=1 if started else 0)
            started = True

        yield advance
        bar.update(task, completed=files + 3)


def _counts_table(before: dict[str, int], after: dict[str, int]) -> Table:
    table = Table(title="存储内容")
    table.add_column("表")
    table.add_column("导入前", justify="right")
    table.add_column("导入后", justify="right")
    for name, label in TABLE_LABELS.items():
        table.add_row(label, f"{before.get(name, 0):,}", f"{after.get(name, 0):,}")
    return table


@app.command()
def ingest(
    data_dir: Annotated[Path, typer.Argument(help="台账所在目录（.xlsx / .csv）")],
    store: StoreOption = None,
    keep_valid: KeepValidOption = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="用本次数据替换存储中的全部内容（默认按编号更新）")
    ] = False,
    rejects: RejectsOption = None,
) -> None:
    """导入台账：校验全部数据，有任何错误则不写入（除非 --keep-valid）。"""
    from application.imports import import_directory

    with user_errors():
        settings = load_settings()
        with open_store(store, settings=settings) as target, _stages(data_dir) as advance:
            outcome = import_directory(
                data_dir,
                target,
                settings=settings,
                keep_valid=keep_valid,
                replace=replace,
                rejects=rejects,
                progress=advance,
            )
        _print_outcome(outcome)


_SCRIPT = Path(__file__).resolve().parents[1] / "services" / "neo4j" / "neo4j.sh"
"""The local Neo4j's script (``neo4j.sh admin HOME …`` runs its ``neo4j-admin``)."""


@app.command("bulk-import")
def bulk_import(
    data_dir: Annotated[Path, typer.Argument(help="台账所在目录（.xlsx / .csv）")],
    home: Annotated[
        Path | None,
        typer.Option("--home", help="本机 Neo4j 的数据目录（services/neo4j/neo4j.sh start 所用，须已停止）"),
    ] = None,
    neo4j_admin: Annotated[
        str | None,
        typer.Option(
            "--neo4j-admin", help="已安装 Neo4j 的 neo4j-admin 命令（在数据库服务器上运行，须已停止）"
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="覆盖已有数据库（其中全部数据，含问题台账与周报，都将丢失）")
    ] = False,
    keep_valid: KeepValidOption = False,
    rejects: RejectsOption = None,
) -> None:
    """首次导入大批台账到 Neo4j（离线批量导入，比逐批写入快一个数量级）：校验同 ingest，数据库须已停止。"""
    from application.imports import import_directory
    from chain_graph.store.neo4j_bulk import Neo4jBulkImport

    with user_errors():
        if (home is None) == (neo4j_admin is None):
            raise ConfigError("请指定 --home（本机 Neo4j 数据目录）或 --neo4j-admin（已安装的命令）之一")
        admin = [str(_SCRIPT), "admin", str(home)] if home is not None else [str(neo4j_admin)]
        target = Neo4jBulkImport(admin, overwrite=overwrite)
        with _stages(data_dir) as advance:
            outcome = import_directory(
                data_dir,
                target,
                settings=load_settings(),
                keep_valid=keep_valid,
                rejects=rejects,
                progress=advance,
            )
        _print_outcome(outcome)
        if outcome.written:
            console.print(
                "启动 Neo4j 后即可使用；此后的导入请用 chain-graph ingest（逐批写入，保留问题台账与周报）。"
            )


def _print_outcome(outcome: ImportOutcome) -> None:
    """Print an import's issues, counts and verdict; exit 1 when nothing was written."""
    report = outcome.report
    validation = report.validation
    if validation.skipped:
        console.print(skipped_table(validation.skipped))
    if validation.issues:
        console.print(issue_table(validation.issues))
        if len(validation.issues) > SHOWN_ISSUES:
            console.print(f"（只显示前 {SHOWN_ISSUES} 个，全部见 {outcome.rejects}）")
        console.print(f"问题清单已写入 {outcome.rejects}（{outcome.rejects_lines} 行）")
    console.print(_counts_table(report.before, report.after))
    if report.written and validation.issues:
        console.print(f"[yellow]已写入正确的行；{len(validation.rejected)} 行被退回。[/yellow]")
    elif report.written:
        console.print("[green]导入完成。[/green]")
    else:
        hint = "" if validation.blocking else "；可用 --keep-valid 只写入正确的行"
        console.print(f"[red]校验未通过，未写入任何数据{hint}。[/red]")
        raise typer.Exit(1)


@app.command()
def analyze(
    data_dir: Annotated[Path | None, typer.Argument(help="台账目录；不给则分析存储中的数据")] = None,
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出机器可读的 JSON（见分析规范）")] = False,
    top: Annotated[int, typer.Option(help="表格中显示的堵点企业数")] = 15,
    scenario: Annotated[
        Path | None,
        typer.Option(help="情景文件（YAML/JSON）：stop、restore、capacity、stop_regions、substitute"),
    ] = None,
    stop: Annotated[list[str] | None, typer.Option(help="情景：假设该企业停产（可重复）")] = None,
    restore: Annotated[list[str] | None, typer.Option(help="情景：假设该企业完全复产（可重复）")] = None,
    stop_region: Annotated[
        list[str] | None, typer.Option(help="情景：该行政区划代码前缀内的企业全部停产，如 42")
    ] = None,
    substitute: Annotated[
        list[str] | None,
        typer.Option(
            help="情景：替代供应，写作 需求方,配套产品,原供应商,替代供应商（可重复），如 E1,钢材,S1,S2"
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="分析某日的状态（如 2026-11-27）：叠加截至该日的状态填报；默认今天"),
    ] = None,
    reports: Annotated[
        list[Path] | None,
        typer.Option("--reports", help="状态填报文件（分析台账目录时叠加；存储中的填报自动叠加）"),
    ] = None,
) -> None:
    """缺口分析：堵点供应商、影响产值与投资、属地与跨区域协调、协调顺序。"""
    import json

    with user_errors():
        day = _day(as_of)
        snap = load_snapshot(data_dir, store, load_settings(), as_of=day, reports=reports or [])
        what_if = _scenario(scenario, stop or [], restore or [], stop_region or [], substitute or [])
        if what_if is not None:
            from application.scenarios import what_if as run_what_if
            from application.visibility import Visibility
            from cli.analysis_view import print_scenario

            outcome = run_what_if(snap, Visibility.whole_city(), what_if)
            if as_json:
                typer.echo(json.dumps(outcome, ensure_ascii=False))
            else:
                print_scenario(console, outcome)
            return
        result = snap.analysis
        if as_json:
            typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
            return
        from cli.analysis_view import print_report

        print_report(console, result, top=top)


def _scenario(
    path: Path | None, stop: list[str], restore: list[str], regions: list[str], moves: list[str]
) -> Scenario | None:
    from chain_graph.scenarios import Scenario, load_scenario

    if path is None and not (stop or restore or regions or moves):
        return None
    base = load_scenario(path) if path else Scenario()
    typed = []
    for move in moves:
        parts = [part.strip() for part in re.split(r"[,，]", move)]
        if len(parts) != 4 or not all(parts):
            msg = f"--substitute 应写作 需求方,配套产品,原供应商,替代供应商，当前为 {move!r}"
            raise ConfigError(msg)
        typed.append(dict(zip(("buyer", "material", "from", "to"), parts, strict=True)))
    dumped = base.model_dump(by_alias=True)
    try:
        return Scenario.model_validate(
            {
                **dumped,
                "stop": [*base.stop, *stop],
                "restore": [*base.restore, *restore],
                "stop_regions": [*base.stop_regions, *regions],
                "substitute": [*dumped["substitute"], *typed],
            }
        )
    except ValueError as error:
        raise ConfigError(f"情景参数有误：{error}") from error


def _day(text: str | None) -> dt.date:
    """Return the date of ``--as-of`` (default today); say so when it is no date."""
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--as-of 应为日期，如 2026-11-27，当前为 {text!r}") from None


def load_snapshot(
    data_dir: Path | None,
    store: str | None,
    settings: Settings,
    *,
    as_of: dt.date | None = None,
    reports: Sequence[Path] = (),
) -> Snapshot:
    """Return the tables of ``data_dir`` (validated; every issue shown) or of the store, to analyse.

    The state at ``as_of`` (default today): the store's status reports, or the ``reports``
    files given with a directory, overlaid up to that day (campaign spec).
    """
    from application.workspace import Snapshot
    from chain_graph.campaign import state_at

    day = as_of or dt.date.today()
    if data_dir is None:
        with open_store(store, settings=settings) as source:
            base, recorded = source.load(), source.reports()
            return Snapshot(
                version=source.data_version(),
                ledgers=state_at(base, recorded, as_of=day) if len(recorded) else base,
                settings=settings,
                day=day,
                base=base,
            )
    from ingest.loader import read_directory

    validation = read_directory(data_dir, settings=settings)
    if not validation.ok:
        errors.print(issue_table(validation.issues))
        raise LedgerValidationError(validation.issues)
    base = validation.ledgers
    if not reports:
        return Snapshot(version=0, ledgers=base, settings=settings, day=day, base=base)
    from ingest.reports import read_reports

    found = read_reports(list(reports), ledgers=base, today=dt.date.today())
    if not found.ok:
        errors.print(issue_table(found.issues))
        raise LedgerValidationError(found.issues)
    frame = found.reports.assign(seq=range(1, len(found.reports) + 1))
    return Snapshot(
        version=0, ledgers=state_at(base, frame, as_of=day), settings=settings, day=day, base=base
    )


@app.command()
def synth(
    out_dir: Annotated[Path, typer.Argument(help="输出目录")],
    scale: Annotated[
        str, typer.Option(help="规模：city（约 2300 家企业）、province、national，或企业数")
    ] = "city",
    seed: Annotated[int, typer.Option(help="随机种子：同一种子生成同样的数据")] = 1,
    fmt: Annotated[
        str | None, typer.Option("--format", help="xlsx 或 csv；默认小规模 xlsx、大规模 csv")
    ] = None,
) -> None:
    """生成合成台账（虚构数据，仅供演示和测试）。"""
    from ingest.synth import SCALES, synthesize

    with user_errors():
        if scale in SCALES:
            firms = SCALES[scale]
        elif scale.isdigit() and int(scale) >= 50:
            firms = int(scale)
        else:
            raise ConfigError(f"--scale 应为 {'/'.join(SCALES)} 或不小于 50 的企业数，当前为 {scale!r}")
        if fmt not in (None, "xlsx", "csv"):
            raise ConfigError(f"--format 应为 xlsx 或 csv，当前为 {fmt!r}")
        with console.status("生成合成台账"):
            counts = synthesize(out_dir, firms=firms, seed=seed, fmt=fmt)
        console.print(
            f"已生成合成台账（虚构数据）到 {out_dir}：" + "，".join(f"{k} {v:,}" for k, v in counts.items())
        )


@app.command()
def template(
    out: Annotated[Path, typer.Argument(help="模板文件路径（.xlsx）")] = Path("台账模板.xlsx"),
    reports: Annotated[
        bool, typer.Option("--reports", help="生成预填的状态填报表（下发），而非空白台账模板；需 --county")
    ] = False,
    county: Annotated[str | None, typer.Option("--county", help="县市区行政区划代码（6 位）")] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="输出文件（.xlsx），优先于位置参数")
    ] = None,
    store: StoreOption = None,
) -> None:
    """生成空白台账模板；或用 --reports --county 生成某县市区预填的状态填报表（下发）。"""
    from ingest.template import write_template

    with user_errors():
        if reports or county:
            if not (reports and county):
                raise ConfigError("预填的状态填报表需同时指定 --reports 和 --county 县市区代码")
            write_prefilled(output or Path(f"复产填报_{county}.xlsx"), county=county, store=store)
            return
        target = output or out
        write_template(target)
        console.print(f"已生成台账模板：{target}")


@app.command()
def demo(
    data_dir: Annotated[Path, typer.Option("--dir", help="演示数据目录")] = Path("demo-data"),
    store: StoreOption = None,
    then_serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="最后启动 Web 控制台（按 Ctrl-C 停止）")
    ] = True,
    port: Annotated[int, typer.Option(min=1, max=65535, help="控制台端口")] = 8000,
) -> None:
    """演示：合成台账、问题台账与各角色账号，然后启动 Web 控制台（按 Ctrl-C 停止）。

    生成怀化市规模的合成台账（虚构数据）并导入，打印摘要和缺口分析，登记近七周的问题台账，
    创建各角色的演示账号并显示令牌。存储与账号在演示目录的 console/ 下，每次重新生成。
    """
    from api.state import AppState
    from application.demo import busiest_county
    from application.workspace import Workspace
    from cli.analysis_view import print_report
    from cli.demo import add_users, fresh_files, print_logins
    from cli.serve import listen, run_service

    host = "127.0.0.1"
    with user_errors():
        sock = listen(host, port) if then_serve else None  # a taken port stops the demo before it starts
        try:
            url, users_file = fresh_files(data_dir, store=store)
            targets = data_dir / "targets.yaml"
            settings = load_settings().model_copy(
                update={"store": url, "auth_db": str(users_file), "targets_file": str(targets)}
            )
            with open_store(url, settings=settings) as target:
                _demo_data(data_dir, target, settings=settings)
                ws = Workspace(settings, store=target)
                snap = ws.snapshot()
                _print_summary(snap)
                print_report(console, snap.analysis, top=10)
                console.print(f"演示数据（虚构）已载入 {url}；可继续运行 chain-graph analyze --store {url}")
                _demo_ledger(ws, snap)
                _demo_campaign(ws, snap, targets=targets)
                logins = add_users(users_file, county=busiest_county(snap))
        except BaseException:
            if sock is not None:
                sock.close()
            raise
    start = (
        f"CHAIN_GRAPH_AUTH_DB={users_file} CHAIN_GRAPH_TARGETS_FILE={targets} "
        f"chain-graph serve --store {url} --port {port}"
    )
    print_logins(logins, console_url=f"http://{host}:{port}/console/", start="" if then_serve else start)
    if sock is not None:
        with user_errors():
            state = AppState(settings)
        run_service(sock, settings, state=state, host=host, port=port)


def _demo_campaign(ws: Workspace, snap: Snapshot, *, targets: Path) -> None:
    """Twelve weeks of county status reports, and the plan's targets (演示复工复产填报)."""
    import datetime as dt

    from application.demo_campaign import seed_reports, write_targets

    today = dt.date.today()
    rows = seed_reports(ws, snap, today=today)
    write_targets(targets, start=today - dt.timedelta(days=7 * 12), recovery=ws.settings.capacity_target)
    console.print(f"已生成 12 周的县市区复工复产填报（{rows} 条）和目标文件 {targets}")


def _demo_data(data_dir: Path, target: Store, *, settings: Settings) -> None:
    """Synthesise the city's ledgers into ``data_dir`` and import them into ``target``."""
    from application.imports import import_directory
    from ingest.synth import SCALES, synthesize

    with console.status("生成演示数据"):
        synthesize(data_dir, firms=SCALES["city"], seed=1)
    with _stages(data_dir) as advance:
        outcome = import_directory(data_dir, target, settings=settings, replace=True, progress=advance)
    if not outcome.written:
        console.print(issue_table(outcome.report.validation.issues))
        raise typer.Exit(1)


def _demo_ledger(ws: Workspace, snap: Snapshot) -> None:
    """Seed the demo's problem ledger (when it is empty) and say what it holds."""
    import datetime as dt

    from application.demo import seed_ledger
    from cli.demo import ADMIN

    if ws.ledger().items:
        console.print("问题台账中已有事项：未登记演示事项（换一个新的存储可得到完整的演示台账）。")
        return
    made = seed_ledger(ws, snap, by=ADMIN, today=dt.date.today(), seed=1)
    states = "、".join(f"{PROBLEM_STATUS_LABELS[s]} {made.by_status.get(s.value, 0)}" for s in ProblemStatus)
    console.print(
        f"问题台账（演示）：{made.first} 至 {made.last} 共登记 {made.items} 项（{states}），"
        f"今天逾期 {made.overdue} 项。"
    )


def _print_summary(snap: Snapshot) -> None:
    from chain_graph.labels import KIND_LABELS, SCOPE_LABELS

    counts = queries.data_summary(snap)
    table = Table(title="演示数据摘要")
    table.add_column("项目")
    table.add_column("数量", justify="right")
    rows: list[tuple[str, int]] = [
        (KIND_LABELS["enterprise"], counts["enterprises"]),
        ("其中重点规模企业", counts["key_enterprises"]),
        (KIND_LABELS["project"], counts["projects"]),
        (KIND_LABELS["supplier"], counts["suppliers"]),
        (TABLE_LABELS["links"], counts["links"]),
        ("停产或部分停产的配套企业", counts["suppliers_held"]),
        (TABLE_LABELS["problems"], counts["problems"]),
    ]
    rows += [
        (f"{KIND_LABELS['supplier']}：{SCOPE_LABELS[scope]}", n)
        for scope, n in counts["suppliers_by_scope"].items()
    ]
    for label, count in rows:
        table.add_row(label, f"{count:,}")
    console.print(table)


if __name__ == "__main__":
    app()
