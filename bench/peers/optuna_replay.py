#!/usr/bin/python3
"""The search replay of bench/search_replay through Optuna, as the anchor.

Run with Debian's Python (python3-optuna 3.1):
  /usr/bin/python3 bench/peers/optuna_replay.py --recorded bench/data/fmnist_lt_replay.json \
      --recorded bench/data/fmnist_lt_search.json --family DIR/synthetic-late-bloomers- --seeds 10
(bench/search_replay runs it with the same sets and seeds after its own
figures.) Each set is a grid of trials with recorded curves (the JSON format
of bench/search_replay/replay_set.h); a trial "trains" by reading its curve
epoch by epoch, reporting each value to Optuna, which may prune it.

Methods, each with the same seeds: TPESampler (half the grid's trials, and
the grid's count), GridSampler + SuccessiveHalvingPruner (min_resource 1,
reduction_factor 3: ASHA), GridSampler + MedianPruner (n_warmup_steps as the
C++ median rule's min_iter), TPESampler + SuccessiveHalvingPruner. Each
epoch's value is reported at step = epochs trained (1, 2, ...), the unit of
the C++ rules, so Optuna's rungs (min_resource * 3^k steps) fall at the same
epochs as bench/search_replay's (1, 3, 9, ...). Optuna runs
trials one at a time here (n_jobs=1); bench/search_replay runs 4 workers.
Prints the same columns as bench/search_replay and the same target lines,
counted per seed (SHA within 0.5 points of the grid's best with >= 3x fewer
epochs; TPE reaching the grid's best within half of the grid's trials);
asserts nothing.
"""
import argparse
import json
import math
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

NEAR_BEST = 0.005     # within 0.5 points of the grid's best (bench/search_replay/replay_methods.h)
TARGET_SAVING = 3.0   # SHA's target: at least 3x fewer epochs than the grid


def load(path):
    with open(path) as f:
        s = json.load(f)
    s["by_choice"] = {tuple(t["choice"]): t for t in s["trials"]}
    return s


def result(trial):
    vals = [v for v in trial["curve"] if v is not None]
    return min(vals) if vals else math.inf


def replay(s, sampler, pruner, n_trials):
    """Runs n_trials; returns (epochs, best, trials_to_best, best_stopped)."""
    best_trial = min(s["trials"], key=result)
    best_value = result(best_trial)
    stats = {"epochs": 0, "best": math.inf, "to_best": 0, "to_near": 0, "started": 0, "best_stopped": False}

    def objective(trial):
        choice = tuple(int(trial.suggest_categorical(a, list(range(len(vals)))))
                       for a, vals in zip(s["axes"], s["axis_values"]))
        t = s["by_choice"][choice]
        stats["started"] += 1
        for e, v in enumerate(t["curve"]):
            stats["epochs"] += 1
            if e + 1 < s["epochs"]:
                # Step = epochs trained (e + 1), the unit of search/early_stop.h's
                # rungs and min_iter, so both judge at the same epochs.
                trial.report(v if v is not None else math.inf, e + 1)
                if trial.should_prune():
                    if t is best_trial:
                        stats["best_stopped"] = True
                    raise optuna.TrialPruned()
        r = result(t)
        stats["best"] = min(stats["best"], r)
        if stats["to_best"] == 0 and r <= best_value:
            stats["to_best"] = stats["started"]
        if stats["to_near"] == 0 and r <= best_value + NEAR_BEST + 1e-12:
            stats["to_near"] = stats["started"]
        return r

    study = optuna.create_study(direction="minimize", sampler=sampler, pruner=pruner)
    study.optimize(objective, n_trials=n_trials, n_jobs=1)
    return stats


def grid_space(s):
    return {a: list(range(len(vals))) for a, vals in zip(s["axes"], s["axis_values"])}


def startup(n):
    # What a bayes sweep with run_cap = n uses (spec/bayes.h).
    return min(10, max(2, n // 4))


def run_set(title, members, seeds):
    n = len(members[0]["trials"])
    epochs = members[0]["epochs"]
    half = max(1, n // 2)
    median_warmup = max(2, epochs // 10)  # the C++ median rule's min_iter, in epochs trained
    methods = [
        (f"optuna TPE ({half} trials)",
         lambda s, seed: (optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup(n)), None, half)),
        (f"optuna TPE ({n} trials)",
         lambda s, seed: (optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup(n)), None, n)),
        ("optuna grid+SHA",
         lambda s, seed: (optuna.samplers.GridSampler(grid_space(s), seed=seed),
                          optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3), n)),
        ("optuna grid+median",
         lambda s, seed: (optuna.samplers.GridSampler(grid_space(s), seed=seed),
                          optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=median_warmup), n)),
        (f"optuna TPE+SHA ({n} trials)",
         lambda s, seed: (optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup(n)),
                          optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3), n)),
    ]
    grid_best = sum(result(min(members[i % len(members)]["trials"], key=result)) for i in range(seeds)) / seeds
    print(f"\n== optuna {optuna.__version__}, {title}: {n} trials x {epochs} epochs, {seeds} seeds, 1 worker; "
          f"grid's best {100 * grid_best:.2f}% (mean)")
    print(f"{'method':<28} {'epochs':>8} {'vs grid':>7} {'best %':>8} {'gap max':>9} {'<=0.5p':>7} {'trials':>8} "
          f"{'to grid best':>16} {'best stopped':>12}")
    grid_epochs = n * epochs
    rows = {}
    for name, make in methods:
        row = rows[name] = {"epochs": 0.0, "best": 0.0, "started": 0.0, "to_best_sum": 0.0, "gap_max": -math.inf,
                            "reached": 0, "stopped": 0, "near": 0, "saving": 0, "near_and_saving": 0,
                            "reached_within": 0, "near_within": 0}
        for seed in range(seeds):
            s = members[seed % len(members)]
            sampler, pruner, n_trials = make(s, seed)
            st = replay(s, sampler, pruner or optuna.pruners.NopPruner(), n_trials)
            sb = result(min(s["trials"], key=result))
            row["epochs"] += st["epochs"] / seeds
            row["best"] += st["best"] / seeds
            row["started"] += st["started"] / seeds
            row["gap_max"] = max(row["gap_max"], 100 * (st["best"] - sb))
            if st["to_best"]:
                row["reached"] += 1
                row["to_best_sum"] += st["to_best"]
            row["stopped"] += st["best_stopped"]
            near = st["best"] <= sb + NEAR_BEST + 1e-12
            saving = st["epochs"] * TARGET_SAVING <= grid_epochs
            row["near"] += near
            row["saving"] += saving
            row["near_and_saving"] += near and saving
            row["reached_within"] += 0 < st["to_best"] <= half
            row["near_within"] += 0 < st["to_near"] <= half
        r = row
        to_best = f"{r['to_best_sum'] / r['reached']:.1f} ({r['reached']}/{seeds})" if r["reached"] else f"- (0/{seeds})"
        print(f"{name:<28} {r['epochs']:>8.1f} {grid_epochs / max(1.0, r['epochs']):>6.2f}x {100 * r['best']:>8.2f} "
              f"{r['gap_max']:>8.2f}p {r['near']:>4}/{seeds:<2} {r['started']:>8.1f} {to_best:>16} "
              f"{r['stopped']:>9}/{seeds}")
    print_targets(rows, n, half, seeds)
    sys.stdout.flush()


def met(count, seeds):
    return "met on every seed" if count == seeds else f"MISSED on {seeds - count}/{seeds} seeds"


def print_targets(rows, n, half, seeds):
    print("targets (per seed):")
    sha = rows["optuna grid+SHA"]
    print(f"  SHA within 0.5 pt of the grid's best with >= {TARGET_SAVING:.0f}x fewer epochs: "
          f"{sha['near_and_saving']}/{seeds} seeds ({sha['near']} within 0.5 pt, {sha['saving']} with >= "
          f"{TARGET_SAVING:.0f}x fewer) -> {met(sha['near_and_saving'], seeds)}")
    tpe = rows[f"optuna TPE ({half} trials)"]
    print(f"  TPE reaches the grid's best within {half} of {n} trials: {tpe['reached_within']}/{seeds} seeds "
          f"(within 0.5 pt: {tpe['near_within']}/{seeds}) -> {met(tpe['reached_within'], seeds)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recorded", action="append", default=[], help="a recorded set (JSON); may be repeated")
    ap.add_argument("--family", help="prefix of the synthetic members: PREFIX<seed>.json")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--slots", type=int, default=1, help="ignored: Optuna runs one trial at a time here")
    a = ap.parse_args()
    for path in a.recorded:
        s = load(path)
        run_set("recorded: " + s.get("name", path), [s], a.seeds)
    if a.family:
        members = [load(f"{a.family}{seed}.json") for seed in range(a.seeds)]
        run_set("synthetic late bloomers", members, a.seeds)


if __name__ == "__main__":
    main()
