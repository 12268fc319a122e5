"""The DataFrame builders of ltsweep_client (ltsweep_client/frames.py) on
hand-made ListTrials / QueryMetrics answers: no processes, no sockets."""

import json
import math
import unittest

from ltsweep_processes import import_client


def setUpModule():
    global frames, pb
    import_client()
    from ltsweep_client import frames as f
    from ltsweep_client._proto import client_service_pb2
    frames, pb = f, client_service_pb2


def trial(trial_id, values, config=None, state="succeeded", per_class=None, payloads=()):
    """A TrialInfo whose val_error history is `values` (epoch -> value)."""
    t = pb.TrialInfo(trial_id=trial_id, sweep_id=1, state=state, attempt=1,
                     config_json=json.dumps(config if config is not None else {"train": {"lr": 0.1}}),
                     has_history=True)
    for epoch, v in values.items():
        t.history.add(epoch=epoch, name="val_error", value=v, class_index=-1)
    for epoch, errors in (per_class or {}).items():
        for c, v in enumerate(errors):
            t.history.add(epoch=epoch, name="error", value=v, class_index=c)
    for kind, data in payloads:
        t.history_payloads.add(epoch=-1, kind=kind, json=json.dumps(data))
    return t


class FramesTest(unittest.TestCase):

    def test_best_last_and_the_goal(self):
        t = trial(7, {0: 0.5, 1: 0.2, 2: float("nan"), 3: 0.2, 4: 0.3})
        df = frames.results_frame([t], "val_error", "minimize")
        self.assertEqual(df.val_error[0], 0.2)
        self.assertEqual(df.val_error_epoch[0], 1, "the earliest epoch wins a tie")
        self.assertEqual(df.val_error_last[0], 0.3)
        self.assertEqual(df.epochs[0], 5)
        up = frames.results_frame([t], "val_error", "maximize")
        self.assertEqual((up.val_error[0], up.val_error_epoch[0]), (0.5, 0))
        nothing = frames.results_frame([t], "val_acc", "maximize")
        self.assertTrue(math.isnan(nothing.val_acc[0]))
        self.assertEqual(nothing.epochs[0], 0)

    def test_a_staged_sweep_has_a_stage_column(self):
        stages = [pb.SweepStage(stage=0, name="range_test", trials=1, first_ordinal=0),
                  pb.SweepStage(stage=1, name="grid", trials=2, first_ordinal=1)]
        ts = [trial(i + 1, {0: 0.1 * (i + 1)}, {"method": {"loss": loss}}) for i, loss in enumerate(("ce", "ce", "ldam"))]
        for i, t in enumerate(ts):
            t.ordinal = i
        df = frames.results_frame(ts, "val_error", "minimize", stages=stages)
        self.assertEqual(list(df.columns[:8]), list(frames.TRIAL_COLUMNS) + ["stage"])
        self.assertEqual(list(df.stage), [1, 2, 2])
        self.assertEqual(df.attrs["config_columns"], ["method.loss"])
        self.assertNotIn("stage", frames.results_frame(ts, "val_error", "minimize").columns)

    def test_config_keys_become_dotted_columns_in_trial_order(self):
        a = trial(2, {0: 0.4}, {"train": {"lr": 0.1, "milestones": [160, 180]}, "method": {"loss": "ldam"}})
        b = trial(1, {0: 0.3}, {"train": {"lr": 0.05, "milestones": [160, 180]}, "method": {"loss": "ce"},
                                "data": {"imbalance": 100}})
        df = frames.results_frame([a, b], "val_error", "minimize")
        self.assertEqual(list(df.trial_id), [1, 2])
        self.assertEqual(list(df.columns[:7]), list(frames.TRIAL_COLUMNS))
        self.assertEqual(list(df.columns[7:11]), ["train.lr", "train.milestones", "method.loss", "data.imbalance"])
        self.assertEqual(df["train.milestones"][0], (160, 180))
        self.assertEqual(list(df.groupby("method.loss").val_error.mean().index), ["ce", "ldam"])
        self.assertTrue(math.isnan(df["data.imbalance"][1]))
        self.assertEqual(df.attrs["config_columns"], ["train.lr", "train.milestones", "method.loss", "data.imbalance"])
        self.assertEqual(frames.varying_columns(df), ["train.lr", "method.loss", "data.imbalance"])

    def test_per_class_columns_are_named_by_the_start_payload(self):
        t = trial(1, {0: 0.5, 1: 0.25}, per_class={0: [0.4, 0.6], 1: [0.1, 0.4]},
                  payloads=[("start", {"class_names": ["cat", "dog"], "class_counts": [500, 10]})])
        df = frames.results_frame([t], "val_error", "minimize", columns="per_class")
        self.assertEqual(list(df.columns[-2:]), ["error[cat]", "error[dog]"])
        self.assertEqual((df["error[cat]"][0], df["error[dog]"][0]), (0.1, 0.4))
        shot = frames.results_frame([t], "val_error", "minimize", columns="shot")
        self.assertEqual(shot.many_shot_error[0], 0.1)  # 500 > many_shot_min (100)
        self.assertEqual(shot.few_shot_error[0], 0.4)   # 10 < few_shot_max (20)
        self.assertTrue(math.isnan(shot.medium_shot_error[0]))
        with self.assertRaises(ValueError):
            frames.results_frame([t], "val_error", "minimize", columns="classes")

    def test_an_empty_sweep_has_the_columns_and_no_rows(self):
        df = frames.results_frame([], "val_error", "minimize")
        self.assertEqual(len(df), 0)
        self.assertIn("val_error_last", df.columns)

    def test_metrics_frame_keeps_the_rows_as_sent(self):
        r = pb.QueryMetricsResponse(trial_id=5, source_trial_id=3, attempt=2)
        r.points.add(epoch=0, name="val_error", value=0.5, class_index=-1)
        r.points.add(epoch=0, name="error", value=0.7, class_index=1)
        m = frames.metrics_frame(r)
        self.assertEqual(list(m.columns), list(frames.METRIC_COLUMNS))
        self.assertEqual(m.values.tolist(), [[5, 2, 3, 0, "val_error", -1, 0.5], [5, 2, 3, 0, "error", 1, 0.7]])
