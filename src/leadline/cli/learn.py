"""``leadline learn|suggest|backtest|models``: learn from outcomes, test changes first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from leadline.backtest.run import BacktestOptions, backtest
from leadline.cli.common import AsOfOpt, FormatOpt, WorkspaceOpt, open_app, parse_time
from leadline.cli.output import Format, console, emit_json, emit_object, emit_rows
from leadline.contract import load_contract, load_contract_text
from leadline.errors import LeadlineError
from leadline.learn import artifacts

TargetOpt = Annotated[
    str,
    typer.Option(
        "--target",
        help="What counts as converting: opportunity (opened) or won. Files without "
        "opportunity dates use the leads' `converted` column.",
    ),
]
FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from", help="First scoring moment / start of the window (ISO date).", show_default=False
    ),
]
ToOpt = Annotated[
    str | None,
    typer.Option(
        "--to", help="Last scoring moment / end of the window (ISO date).", show_default=False
    ),
]
EveryOpt = Annotated[float, typer.Option("--every", help="Days between scoring moments.")]
HorizonOpt = Annotated[
    float | None,
    typer.Option(
        "--horizon-days",
        help="Outcome window after each moment (default 90 for opportunity, 180 for won).",
        show_default=False,
    ),
]
AllowOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-feature",
        help="Keep a feature source the leakage guard flags (e.g. tags); repeatable.",
        show_default=False,
    ),
]
SeedOpt = Annotated[int, typer.Option(help="Random seed (split, cross-validation, boosting).")]


def _precise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table cells for metrics: three decimals (the default table shows two)."""
    return [
        {k: f"{v:.3f}" if isinstance(v, float) and not v.is_integer() else v for k, v in r.items()}
        for r in rows
    ]


def _target(value: str) -> str:
    if value not in ("opportunity", "won"):
        raise typer.BadParameter(f"--target must be opportunity or won, not {value!r}")
    return value


def _set_options(
    target: str,
    from_: str | None,
    to: str | None,
    every: float,
    horizon_days: float | None,
    as_of: str | None,
    seed: int,
) -> dict[str, Any]:
    return {
        "target": _target(target),
        "start": parse_time(from_),
        "end": parse_time(to),
        "every_days": every,
        "horizon_days": horizon_days,
        "as_of": parse_time(as_of),
        "seed": seed,
    }


def learn_cmd(
    target: TargetOpt = "opportunity",
    from_: FromOpt = None,
    to: ToOpt = None,
    every: EveryOpt = 14.0,
    horizon_days: HorizonOpt = None,
    as_of: AsOfOpt = None,
    allow_feature: AllowOpt = None,
    seed: SeedOpt = 7,
    save: Annotated[
        bool,
        typer.Option("--save/--no-save", help="Store the logistic model as a versioned artifact."),
    ] = True,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Learn from outcomes: features as of each scoring moment, leakage guard, four models compared.

    Compares the contract's own ranking, naive-Bayes frequency tables, logistic
    regression and gradient boosting on a held-out split (by time when the
    data has times, else seeded and stratified): ROC AUC, PR AUC, Brier,
    calibration and the top decile.  The logistic model is stored as a
    versioned artifact a contract can pin (`leadline models pin`).
    """
    from leadline.learn.run import LearnOptions, learn  # scikit-learn: only when learning

    options = LearnOptions(
        **_set_options(target, from_, to, every, horizon_days, as_of, seed),
        allow=tuple(allow_feature or ()),
        save=save,
    )
    with open_app(workspace) as ll:
        report = learn(ll, options)
    if fmt is Format.json:
        emit_json(report.to_dict())
        return
    if fmt is Format.csv:
        emit_rows(report.rows(), fmt)
        return
    info = report.info
    console.print(
        f"[bold]training set[/bold]: label {info['target']}; {info['split']}\n"
        f"  train {info['train_rows']} rows ({info['train_positives']} converted), "
        f"test {info['test_rows']} rows ({info['test_positives']} converted); "
        f"{report.features_used} of {report.features_offered} features used",
        highlight=False,
    )
    findings = report.guard.to_dict()["findings"]
    if findings:
        emit_rows(
            findings,
            Format.table,
            title="Leakage guard",
            columns=["source", "reason", "excluded", "value", "detail"],
        )
    emit_rows(_precise(report.rows()), Format.table, title="Held-out comparison (test rows)")
    verdict = report.verdict
    console.print(
        f"contract MQL verdict on the test rows: {verdict['mql_share']:.1%} qualify, "
        f"precision {verdict['precision']}, recall {verdict['recall']}",
        highlight=False,
    )
    logistic = report.metrics.get("logistic regression")
    if logistic is not None and logistic.reliability:
        emit_rows(
            logistic.reliability,
            Format.table,
            title="Calibration of the logistic model (test rows; all models in --format json)",
        )
    if report.top_features:
        emit_rows(report.top_features, Format.table, title="Strongest logistic-model features")
    if report.model is not None:
        version = report.model.version
        if not save:
            console.print(f"model {version} (not stored: --no-save)", highlight=False)
        else:
            state = "stored" if report.saved else "already stored"
            console.print(
                f"model {version} ({state}); pin it: leadline models pin {version} --out NEW.yaml",
                highlight=False,
            )


def suggest_cmd(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="New contract file (default: leadline.suggested-N.yaml).",
            show_default=False,
        ),
    ] = None,
    with_model: Annotated[
        str | None,
        typer.Option(
            "--with-model",
            help="Also pin this stored model as a score component.",
            show_default=False,
        ),
    ] = None,
    model_points: Annotated[
        float, typer.Option(help="Points at predicted conversion 1 (with --with-model).")
    ] = 30.0,
    target: TargetOpt = "opportunity",
    from_: FromOpt = None,
    to: ToOpt = None,
    every: EveryOpt = 14.0,
    horizon_days: HorizonOpt = None,
    as_of: AsOfOpt = None,
    allow_feature: AllowOpt = None,
    seed: SeedOpt = 7,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Write a candidate contract from observed lift and a model: points per rule, grade
    cut-offs and MQL threshold, each with its evidence.  Never overwrites a file."""
    from leadline.learn.suggest import SuggestOptions, suggest  # scikit-learn: only here

    options = SuggestOptions(
        **_set_options(target, from_, to, every, horizon_days, as_of, seed),
        allow=tuple(allow_feature or ()),
        out=out,
        model_version=with_model,
        model_points=model_points,
    )
    with open_app(workspace) as ll:
        result = suggest(ll, options)
    if fmt is not Format.table:
        emit_object(result.to_dict(), fmt)
        return
    emit_rows(
        result.rules,
        Format.table,
        title="Proposed rules and their evidence (training rows)",
        columns=["section", "rule", "points", "lift", "conversion", "rows", "weight"],
    )
    emit_rows(result.grades, Format.table, title="Grade cut-offs")
    mql = result.mql
    console.print(
        f"MQL: grade {mql['min_grade']} or better and score >= {mql['min_score']:g} "
        f"({mql['share_of_rows']:.1%} of rows, precision {mql['precision']:.1%}, "
        f"recall {mql['recall']:.1%})",
        highlight=False,
    )
    console.print(
        f"[green]wrote[/green] {result.path} (version {result.version}); next: "
        f"leadline backtest {result.path.name} --from … --to …",
        highlight=False,
    )


def _thresholds(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        if ":" in text:
            low, high, step = (float(x) for x in text.split(":"))
            if step <= 0 or high < low:
                raise ValueError
            count = round((high - low) / step) + 1
            return tuple(round(low + step * i, 6) for i in range(count))
        return tuple(sorted(float(x) for x in text.split(",")))
    except ValueError:
        raise typer.BadParameter(
            f"--thresholds {text!r}: give LOW:HIGH:STEP (20:100:5) or a list (30,45,60)"
        ) from None


def backtest_cmd(
    candidate: Annotated[Path, typer.Argument(help="The proposed contract (YAML).")],
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="Contract to compare with (default: the workspace's).",
            show_default=False,
        ),
    ] = None,
    from_: FromOpt = None,
    to: ToOpt = None,
    step: Annotated[str, typer.Option(help="Replay step: day or week.")] = "week",
    capacity: Annotated[
        float | None,
        typer.Option(
            help="New MQLs a rep can follow up per day (default: from reps and the SLA).",
            show_default=False,
        ),
    ] = None,
    reps: Annotated[
        int | None,
        typer.Option(help="Reps following MQLs up (default: active reps).", show_default=False),
    ] = None,
    sweep_threshold: Annotated[
        bool,
        typer.Option(
            "--sweep-threshold",
            help="Sweep the candidate's MQL threshold instead: volume vs pipeline vs capacity.",
        ),
    ] = False,
    thresholds: Annotated[
        str | None,
        typer.Option(
            help="Thresholds to sweep: LOW:HIGH:STEP or a comma list.", show_default=False
        ),
    ] = None,
    warmup_days: Annotated[
        float,
        typer.Option(
            help="Replay this many days before --from (not counted), so the window does not "
            "open with the candidate catching up on everyone it would have qualified earlier."
        ),
    ] = 0.0,
    limit: Annotated[int, typer.Option(help="How many flipped leads to list.")] = 20,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Replay history with a candidate contract and the current one, side by side.

    At each step both contracts score every lead as of then (one query per
    step each) and apply the moves they imply on a scratch copy of the store
    — the real history is never touched.  Reports MQL volume and load per rep
    against capacity, recall of eventual opportunities and won revenue,
    precision, timing and the leads that flip.
    """
    start, end = parse_time(from_), parse_time(to)
    if start is None or end is None:
        raise typer.BadParameter("give the window: --from DATE --to DATE")
    options = BacktestOptions(
        start=start,
        end=end,
        step=step,
        capacity=capacity,
        reps=reps,
        limit=limit,
        sweep=sweep_threshold,
        thresholds=_thresholds(thresholds),
        warmup_days=warmup_days,
    )
    cand = load_contract(candidate)
    with open_app(workspace) as ll:
        current = load_contract(against) if against is not None else ll.loaded
        result = backtest(ll, cand, current, options)
    if fmt is Format.json:
        emit_json(result)
        return
    if sweep_threshold:
        emit_rows(result["curve"], fmt, title=f"MQL threshold sweep ({cand.name} {cand.version})")
        if fmt is Format.table:
            rec = result["recommendation"]
            console.print(
                f"recommended threshold: [bold]{rec['threshold']:g}[/bold] — {rec['why']}",
                highlight=False,
            )
        return
    emit_rows(
        result["metrics"] if fmt is not Format.table else _precise(result["metrics"]),
        fmt,
        title=f"Backtest {result['window']['from']:%Y-%m-%d} → "
        f"{result['window']['to']:%Y-%m-%d} by {step}: current vs candidate",
    )
    if fmt is not Format.table:
        return
    t, f, h = result["timing"], result["flips"], result["history_check"]
    console.print(
        f"eventual opportunities both caught: {t['both_caught']}; candidate earlier for "
        f"{t['candidate_earlier']}, later for {t['candidate_later']} (median "
        f"{t['median_days_candidate_later']} days later)\n"
        f"flips: {f['gained']} leads gained ({f['gained_to_pipeline']} became pipeline), "
        f"{f['lost']} lost ({f['lost_to_pipeline']} became pipeline)\n"
        f"replaying the current contract: {h['identical']} of {h['real_mql_moves']} real MQL "
        f"moves in the window reproduced exactly ({h['replayed_mql_moves']} replayed)",
        highlight=False,
    )
    if result["flipped_leads"]:
        emit_rows(result["flipped_leads"], Format.table, title="Leads that flip")


models = typer.Typer(
    help="Stored model artifacts: list, show, pin in a contract.", no_args_is_help=True
)


@models.command("list")
def list_cmd(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Every stored model version with its training range and held-out metrics."""
    with open_app(workspace) as ll:
        rows = artifacts.list_models(ll.engine)
    emit_rows(rows, fmt, title="Stored models")


@models.command("show")
def show_cmd(
    version: Annotated[str, typer.Argument(help="Model version (m-…).")],
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """One model: its training set, guard findings, metrics and every coefficient."""
    with open_app(workspace) as ll:
        artifact = artifacts.get(ll.engine, version)
    data = artifact.to_dict()
    if fmt is Format.json:
        emit_json(data)
        return
    emit_object(artifact.summary(), fmt, title=f"Model {version}")
    if fmt is Format.table:
        emit_rows(
            data["features"],
            fmt,
            title="Features and coefficients",
            columns=["name", "coefficient", "kind", "source"],
        )


@models.command("pin")
def pin_cmd(
    version: Annotated[
        str, typer.Argument(help="Model version to pin (an earlier one rolls back).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="New contract file to write.")],
    contract: Annotated[
        Path | None,
        typer.Option(help="Contract to start from (default: the workspace's).", show_default=False),
    ] = None,
    points: Annotated[float, typer.Option(help="Points at predicted conversion 1.")] = 30.0,
    workspace: WorkspaceOpt = None,
) -> None:
    """Write a new contract file that pins a stored model version (``model:``)."""
    if out.exists():
        raise LeadlineError(f"{out} already exists; pinning writes a new contract file")
    with open_app(workspace) as ll:
        artifacts.get(ll.engine, version)
        source = load_contract(contract) if contract is not None else ll.loaded
        text = artifacts.pinned_text(source.text, version, points)
        loaded = load_contract_text(text, filename=str(out))
        ll.check_contract(loaded)
        artifacts.spec_for(ll.engine, loaded)
    out.write_text(text, encoding="utf-8")
    console.print(
        f"[green]wrote[/green] {out}: contract {loaded.name} version {loaded.version} "
        f"pins model {version} ({points:g} points)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("learn")(learn_cmd)
    app.command("suggest")(suggest_cmd)
    app.command("backtest")(backtest_cmd)
    app.add_typer(models, name="models")
