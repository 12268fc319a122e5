#!/usr/bin/python3
"""Exports a recorded grid sweep's learning curves for bench/search_replay.

  /usr/bin/python3 bench/data/export_curves.py --ltsweep build/cli/ltsweep --db replay.db \
      --spec bench/data/fmnist_lt_replay.yaml > bench/data/fmnist_lt_replay.json

Reads every succeeded trial's config and per-epoch val_error (its latest
attempt, which holds every epoch: a resumed attempt replays its checkpointed
ones) with `ltsweep sql`, and writes the replay-set JSON of
bench/search_replay/replay_set.h: the grid's axes (the spec's parameters, in
order, values as written) and each trial's choice per axis, curve and DRW
epoch.
"""
import argparse
import json
import subprocess
import sys

QUERY = ("SELECT t.ordinal, t.config_json, m.epoch, m.value FROM trials t "
         "JOIN metrics m ON m.trial_id = t.id AND m.attempt = t.attempts "
         "WHERE m.name = 'val_error' AND t.status = 'succeeded' AND t.sweep_id = {sweep} "
         "ORDER BY t.ordinal, m.epoch")


def get(config, dotted):
    for part in dotted.split("."):
        config = config[part]
    return config


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ltsweep", default="ltsweep")
    ap.add_argument("--db", required=True)
    ap.add_argument("--sweep", type=int, default=1)
    ap.add_argument("--spec", required=True, help="the grid spec (for the axes); needs python3-yaml")
    a = ap.parse_args()
    import yaml  # Debian python3-yaml
    with open(a.spec) as f:
        spec = yaml.safe_load(f)
    axes = list(spec["parameters"].keys())
    axis_values = [spec["parameters"][ax]["values"] for ax in axes]
    out = subprocess.run([a.ltsweep, "sql", "--db", a.db, "--format", "json", QUERY.format(sweep=a.sweep)],
                         check=True, capture_output=True, text=True).stdout
    rows = json.loads(out)
    trials = {}
    for r in rows:
        t = trials.setdefault(r["ordinal"], {"config": json.loads(r["config_json"]), "curve": {}})
        t["curve"][r["epoch"]] = r["value"]
    epochs = spec["config"]["train"]["epochs"]
    result = []
    for ordinal, t in sorted(trials.items()):
        c = t["config"]
        choice, label = [], []
        for ax, vals in zip(axes, axis_values):
            # The value that matches; of presets, the one setting the most keys
            # ({loss: ce} also matches a {loss: ce, defer: drw} trial).
            best, best_keys = None, -1
            for i, v in enumerate(vals):
                if isinstance(v, dict):
                    match, keys = all(get(c, k) == val for k, val in v.items()), len(v)
                else:
                    match, keys = get(c, ax) == v, 1
                if match and keys > best_keys:
                    best, best_keys = i, keys
            if best is not None:
                v = vals[best]
                choice.append(best)
                label.append(f"{ax}={v if not isinstance(v, dict) else '+'.join(str(x) for x in v.values())}")
        curve = [t["curve"].get(e) for e in range(epochs)]
        if len(choice) != len(axes) or any(v is None for v in curve):
            print(f"trial {ordinal}: incomplete, left out", file=sys.stderr)
            continue
        drw = c["method"]["drw_epoch"] if c["method"]["defer"] in ("drw", "drs") else None
        result.append({"choice": choice, "label": " ".join(label), "curve": curve, "drw_epoch": drw})
    labels = [[json.dumps(v, separators=(",", ":")) if isinstance(v, dict) else str(v) for v in vals]
              for vals in axis_values]
    json.dump({"name": spec.get("name", a.spec), "source": f"ltsweep run {a.spec}, exported by export_curves.py",
               "metric": "val_error", "axes": axes, "axis_values": labels, "epochs": epochs, "trials": result},
              sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
