#!/usr/bin/python3
"""The search replay of bench/search_replay through Optuna, as the anchor.

Run with Debian's Python (python3-optuna 3.1):
  /usr/bin/python3 bench/peers/optuna_replay.py --recorded bench/data/fmnist_lt_replay.json \
      --family DIR/synthetic-late-bloomers- --seeds 10
(bench/search_replay runs it with the same sets and seeds after its own
figures.) Each set is a grid of trials with recorded curves (the JSON format
of bench/search_replay/replay_set.h); a trial "trains" by reading its curve
epoch by epoch, reporting each value to Optuna, which may prune it.

Methods, each with the same seeds: TPESampler (half the grid's trials, and
the grid's count), GridSampler + SuccessiveHalvingPruner (min_resource 1,
reduction_factor 3: ASHA), GridSampler + MedianPruner (n_warmup_steps as the
C++ median rule's min_iter), TPESampler + SuccessiveHalvingPruner. Optuna runs
trials one at a time here (n_jobs=1); bench/search_replay runs 4 workers.
Prints the same columns as bench/search_replay; asserts nothing.
"""
import argparse
import json
import math
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


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
    stats = {"epochs": 0, "best": math.inf, "to_best": 0, "started": 0, "best_stopped": False}

    def objective(trial):
        choice = tuple(int(trial.suggest_categorical(a, list(range(len(vals)))))
                       for a, vals in zip(s["axes"], s["axis_values"]))
        t = s["by_choice"][choice]
        stats["started"] += 1
        for e, v in enumerate(t["curve"]):
            stats["epochs"] += 1
            if e + 1 < s["epochs"]:
                trial.report(v if v is not None else math.inf, e)
                if trial.should_prune():
                    if t is best_trial:
                        stats["best_stopped"] = True
                    raise optuna.TrialPruned()
        r = result(t)
        stats["best"] = min(stats["best"], r)
        if stats["to_best"] == 0 and r <= best_value:
            stats["to_best"] = stats["started"]
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
    median_warmup = max(2, epochs // 10) - 1
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
    print(f"{'method':<28} {'epochs':>8} {'vs grid':>7} {'best %':>8} {'gap max':>9} {'trials':>8} "
          f"{'to grid best':>16} {'best stopped':>12}")
    grid_epochs = n * epochs
    for name, make in methods:
        ep = best = started = to_best_sum = 0.0
        gap_max = -math.inf
        reached = stopped = 0
        for seed in range(seeds):
            s = members[seed % len(members)]
            sampler, pruner, n_trials = make(s, seed)
            st = replay(s, sampler, pruner or optuna.pruners.NopPruner(), n_trials)
            sb = result(min(s["trials"], key=result))
            ep += st["epochs"] / seeds
            best += st["best"] / seeds
            started += st["started"] / seeds
            gap_max = max(gap_max, 100 * (st["best"] - sb))
            if st["to_best"]:
                reached += 1
                to_best_sum += st["to_best"]
            stopped += st["best_stopped"]
        to_best = f"{to_best_sum / reached:.1f} ({reached}/{seeds})" if reached else f"- (0/{seeds})"
        print(f"{name:<28} {ep:>8.1f} {grid_epochs / max(1.0, ep):>6.2f}x {100 * best:>8.2f} {gap_max:>8.2f}p "
              f"{started:>8.1f} {to_best:>16} {stopped:>9}/{seeds}")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recorded", help="recorded set (JSON)")
    ap.add_argument("--family", help="prefix of the synthetic members: PREFIX<seed>.json")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--slots", type=int, default=1, help="ignored: Optuna runs one trial at a time here")
    a = ap.parse_args()
    if a.recorded:
        s = load(a.recorded)
        run_set("recorded: " + s.get("name", a.recorded), [s], a.seeds)
    if a.family:
        members = [load(f"{a.family}{seed}.json") for seed in range(a.seeds)]
        run_set("synthetic late bloomers", members, a.seeds)


if __name__ == "__main__":
    main()
