"""pandas tables built from the coordinator's answers (pure functions).

``results_frame`` turns ListTrials answers (with configs and merged metric
histories) into one row per trial, reduced as ``ltsweep results`` reduces a
trial (report/aggregate.cc): the best epoch of the target metric (minimum
when the goal is "minimize", maximum for "maximize"; non-finite values
skipped; the earliest epoch wins a tie) and the last epoch. Values are the
raw ones the trainer reported: error rates are fractions (the CLI prints them
times 100).

``metrics_frame`` turns one QueryMetrics answer into one row per
(epoch, name, class_index).

pandas is imported on first use, so the rest of the client works without it.
"""

import json
import math

SUCCESS_STATES = ("succeeded", "linked")

# The trial's own columns, first in every results frame.
TRIAL_COLUMNS = ("trial_id", "sweep_id", "state", "attempts", "worker_id", "reused_from", "error")
METRIC_COLUMNS = ("trial_id", "attempt", "source_trial_id", "epoch", "name", "class_index", "value")
PER_CLASS_ERROR = "error"  # per_class_metrics.name of the per-class validation error


def pandas():
    """The pandas module, or an ImportError saying how to install it."""
    try:
        import pandas as pd
    except ImportError as e:
        raise ImportError("ltsweep_client: results_dataframe and metrics_dataframe need pandas "
                          "(Debian: apt-get install python3-pandas)") from e
    return pd


def flatten_config(config, prefix=""):
    """{"train": {"lr": 0.1}} -> [("train.lr", 0.1)], in the config's key order.

    Lists become tuples, so that config columns can be grouped by.
    """
    out = []
    for key, value in config.items():
        path = prefix + "." + key if prefix else key
        if isinstance(value, dict):
            out.extend(flatten_config(value, path))
        else:
            out.append((path, tuple(value) if isinstance(value, list) else value))
    return out


class History:
    """A trial's merged metric rows: scalars[name] = {epoch: value},
    per_class[name] = {epoch: [value by class]}, payloads[kind] = [(epoch, json text)]."""

    def __init__(self, rows, payloads=()):
        self.scalars = {}
        self.per_class = {}
        self.payloads = {}
        for r in rows:
            if r.class_index < 0:
                self.scalars.setdefault(r.name, {})[r.epoch] = r.value
            else:
                values = self.per_class.setdefault(r.name, {}).setdefault(r.epoch, [])
                values.extend([math.nan] * (r.class_index + 1 - len(values)))
                values[r.class_index] = r.value
        for p in payloads:
            self.payloads.setdefault(p.kind, []).append((p.epoch, p.json))

    def reduce(self, metric, goal, best):
        """(value, epoch) of ``metric`` at its best (or last) epoch; None when absent."""
        out = None
        maximize = goal == "maximize"
        for epoch, value in sorted(self.scalars.get(metric, {}).items()):
            if not math.isfinite(value):
                continue
            if out is None or not best or (value > out[0] if maximize else value < out[0]):
                out = (value, epoch)
        return out

    def class_info(self):
        """(counts, names) from the start payload, else the done payload."""
        counts, names = [], []
        for kind in ("start", "done"):
            for _, text in self.payloads.get(kind, []):
                try:
                    payload = json.loads(text)
                except ValueError:
                    continue
                if not isinstance(payload, dict):
                    continue
                for key in ("class_counts", "train_class_counts", "train_counts"):
                    if not counts and isinstance(payload.get(key), list):
                        counts = [int(n) for n in payload[key]]
                for key in ("class_names", "classes"):
                    if not names and isinstance(payload.get(key), list):
                        names = [n if isinstance(n, str) else json.dumps(n) for n in payload[key]]
        return counts, names


def _mean(values):
    return sum(values) / len(values) if values else None


def shot_errors(history, config, epoch):
    """(many, medium, few)-shot errors at ``epoch``, as `ltsweep results --columns shot`
    (report/aggregate.cc ComputeShotErrors); None where unknown or empty."""
    per_class = history.per_class.get(PER_CLASS_ERROR, {}).get(epoch)
    counts, _ = history.class_info() if per_class is not None else ([], [])
    if per_class is not None and counts and len(counts) == len(per_class):
        metrics = config.get("metrics", {}) if isinstance(config.get("metrics"), dict) else {}
        many_min = metrics.get("many_shot_min", 100)
        few_max = metrics.get("few_shot_max", 20)
        groups = ([], [], [])
        for n, error in zip(counts, per_class):
            groups[0 if n > many_min else 2 if n < few_max else 1].append(error)
        return tuple(_mean(g) for g in groups)
    return tuple(history.scalars.get(name, {}).get(epoch)
                 for name in ("many_shot_error", "medium_shot_error", "few_shot_error"))


def trial_row(trial, metric, goal, columns):
    """One results row (a dict) of a TrialInfo that carries its config and history."""
    row = {"trial_id": trial.trial_id, "sweep_id": trial.sweep_id, "state": trial.state,
           "attempts": trial.attempt, "worker_id": trial.worker_id, "reused_from": trial.reused_from,
           "error": trial.error}
    config = json.loads(trial.config_json) if trial.config_json else {}
    row.update(flatten_config(config))
    history = History(trial.history, trial.history_payloads)
    best = history.reduce(metric, goal, best=True)
    last = history.reduce(metric, goal, best=False)
    row[metric] = best[0] if best else None
    row[metric + "_epoch"] = best[1] if best else None
    row[metric + "_last"] = last[0] if last else None
    row["epochs"] = len(history.scalars.get(metric, {}))
    if columns == "per_class" and best:
        values = history.per_class.get(PER_CLASS_ERROR, {}).get(best[1], [])
        _, names = history.class_info()
        for c, value in enumerate(values):
            row["error[{}]".format(names[c] if len(names) == len(values) else c)] = value
    elif columns == "shot" and best:
        many, medium, few = shot_errors(history, config, best[1])
        row.update({"many_shot_error": many, "medium_shot_error": medium, "few_shot_error": few})
    return row


def stage_of(ordinal, stages):
    """The 1-based stage (of SweepStage dicts or messages) whose ordinals hold ``ordinal``, or None."""
    for s in stages:
        first = s["first_ordinal"] if isinstance(s, dict) else s.first_ordinal
        n = s["trials"] if isinstance(s, dict) else s.trials
        stage = s["stage"] if isinstance(s, dict) else s.stage
        if first <= ordinal < first + n:
            return stage + 1
    return None


def results_frame(trials, metric, goal, columns=None, stages=()):
    """A DataFrame with one row per TrialInfo of ``trials`` (in trial id order).

    Columns: TRIAL_COLUMNS, then, for a staged sweep (``stages``: its
    SweepStage dicts or messages), ``stage`` (1-based, as `ltsweep results
    --stage K` counts; the trials of a range test or plateau run are not the
    grid's: filter on it), then the flattened config keys (dotted names, in
    order of first appearance), then ``metric`` (best epoch value),
    ``metric + "_epoch"``, ``metric + "_last"`` and ``epochs`` (epochs with a
    value of the metric), then the extra ``columns``: "per_class"
    (``error[<class>]`` at the best epoch) or "shot" (many/medium/few-shot error
    at the best epoch). ``frame.attrs`` holds ``config_columns``, ``metric`` and
    ``goal``.
    """
    if goal not in ("minimize", "maximize"):
        raise ValueError("goal: '{}' is neither minimize nor maximize".format(goal))
    if columns not in (None, "none", "per_class", "shot"):
        raise ValueError("columns: unknown value '{}' (expected per_class or shot)".format(columns))
    pd = pandas()
    rows = [trial_row(t, metric, goal, columns) for t in sorted(trials, key=lambda t: t.trial_id)]
    if stages:
        stage_by_id = {t.trial_id: stage_of(t.ordinal, stages) for t in trials}
        for row in rows:
            row["stage"] = stage_by_id[row["trial_id"]]
    metric_names = [metric, metric + "_epoch", metric + "_last", "epochs"]
    order = list(TRIAL_COLUMNS) + (["stage"] if stages else [])
    extras = []
    for row in rows:
        for key in row:
            if key in order or key in metric_names or key in extras:
                continue
            (extras if key.startswith("error[") or key.endswith("_shot_error") else order).append(key)
    frame = pd.DataFrame(rows, columns=order + metric_names + extras)
    frame.attrs.update(config_columns=order[len(TRIAL_COLUMNS) + (1 if stages else 0):], metric=metric, goal=goal)
    for name in (metric, metric + "_last") + tuple(extras):
        frame[name] = pd.to_numeric(frame[name], errors="coerce")
    for name in (metric + "_epoch",):
        frame[name] = frame[name].astype("Int64")
    return frame


def varying_columns(frame):
    """The config columns of a results frame whose value differs between its rows (or is
    absent from some), except train.seed: the keys `ltsweep results` groups by default."""
    out = []
    for column in frame.attrs.get("config_columns", []):
        if column == "train.seed":
            continue
        seen = {"<absent>" if isinstance(v, float) and math.isnan(v) else repr(v) for v in frame[column]}
        if len(seen) > 1:
            out.append(column)
    return out


def metrics_frame(response):
    """A DataFrame of one QueryMetrics answer: one row per (epoch, name, class_index), in the
    order the coordinator sent them; columns METRIC_COLUMNS (class_index -1 for scalars)."""
    pd = pandas()
    rows = [(response.trial_id, response.attempt, response.source_trial_id, p.epoch, p.name, p.class_index,
             p.value) for p in response.points]
    return pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
