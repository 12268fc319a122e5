"""ltsweep_client against a real `ltsweep coordinator` and `ltsweep worker`
(fake trainer) on loopback: submit, wait, status, results and metrics
DataFrames checked against what `ltsweep results` / `trial` / `sql` print,
paging, and the errors a user meets (unknown sweep, bad spec, nobody
listening, a wait that times out)."""

import json
import math
import unittest

from ltsweep_processes import Cluster, import_client, run_cli

SPEC = """name: pyclient
config:
  train: {epochs: 3}
seeds: [0, 1]
parameters:
  train.lr: {values: [0.1, 0.05]}
"""


def setUpModule():
    global lc
    lc = import_client()


def key(lr, seed):
    return (round(float(lr), 9), int(seed))


class SweepResultsTest(unittest.TestCase):
    """One finished sweep, read back every way."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        cls.cluster.start_worker("w1", slots=2)
        cls.client = lc.Client(cls.cluster.address)
        cls.spec = cls.cluster.write("small.yaml", SPEC)
        cls.sweep = cls.client.submit(cls.spec)
        cls.final = cls.client.wait(cls.sweep, poll=0.2, timeout=60)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.cluster.__exit__(None, None, None)

    def cli(self, *args):
        return run_cli(list(args) + ["--coordinator", self.cluster.address]).stdout

    def test_wait_returns_the_final_info(self):
        self.assertEqual(self.sweep, 1)
        self.assertEqual(self.final["state"], "done")
        self.assertEqual(self.final["name"], "pyclient")
        self.assertEqual(self.final["trials_total"], 4)
        self.assertEqual(self.final["trials_succeeded"], 4)
        self.assertEqual(self.client.status(self.sweep), self.final)
        listed = self.client.status()
        self.assertEqual([s["sweep_id"] for s in listed], [1])
        self.assertEqual(listed[0]["trials_succeeded"], 4)
        workers = self.client.workers()
        self.assertEqual([w["worker_id"] for w in workers], ["w1"])

    def test_results_dataframe_matches_ltsweep_results(self):
        df = self.client.results_dataframe(self.sweep)
        self.assertEqual(len(df), 4)
        for column in ("trial_id", "state", "attempts", "train.lr", "train.seed", "train.epochs", "method.loss",
                       "val_error", "val_error_epoch", "val_error_last", "epochs"):
            self.assertIn(column, df.columns)
        self.assertEqual(list(df.trial_id), sorted(df.trial_id))
        self.assertTrue((df.state == "succeeded").all())
        self.assertTrue((df.epochs == 3).all())
        self.assertTrue((df["train.epochs"] == 3).all())
        # The trial ids are the database's.
        sql = run_cli(["sql", "SELECT id FROM trials WHERE sweep_id = 1 ORDER BY id", "--format", "csv", "--db",
                       self.cluster.db]).stdout.split()
        self.assertEqual([int(i) for i in sql[1:]], list(df.trial_id))
        # One row per trial of `ltsweep results` (grouped by lr and seed, the best epoch of each), in percent.
        for agg, column in (("best", "val_error"), ("last", "val_error_last")):
            out = json.loads(self.cli("results", "1", "--group-by", "train.lr,train.seed", "--agg", agg,
                                      "--format", "json"))
            self.assertEqual(out["unit"], "%")
            self.assertEqual(len(out["rows"]), 4)
            by_key = {key(r["train.lr"], r["train.seed"]): r["val_error"] for r in out["rows"]}
            for _, row in df.iterrows():
                self.assertAlmostEqual(row[column] * 100, by_key[key(row["train.lr"], row["train.seed"])], places=9,
                                       msg="{} of trial {}".format(column, row.trial_id))

    def test_a_groupby_mean_table_is_the_cli_default_table(self):
        df = self.client.results_dataframe(self.sweep)
        out = json.loads(self.cli("results", "1", "--format", "json"))
        self.assertEqual(lc.varying_columns(df), [k for k in out["rows"][0] if k not in ("n", "val_error",
                                                                                          "val_error_std")])
        self.assertEqual(lc.varying_columns(df), ["train.lr"])
        table = df.groupby(lc.varying_columns(df))["val_error"].agg(["mean", "std", "count"])
        self.assertEqual(len(out["rows"]), 2)
        for r in out["rows"]:
            lr = float(r["train.lr"])
            self.assertEqual(r["n"], table.loc[lr, "count"])
            self.assertAlmostEqual(table.loc[lr, "mean"] * 100, r["val_error"], places=9)
            self.assertAlmostEqual(table.loc[lr, "std"] * 100, r["val_error_std"], places=9)

    def test_per_class_and_shot_columns(self):
        df = self.client.results_dataframe(self.sweep, columns="per_class")
        classes = ["error[{}]".format(c) for c in range(4)]
        self.assertEqual(list(df.columns[-4:]), classes)
        out = json.loads(self.cli("results", "1", "--group-by", "train.lr,train.seed", "--agg", "best",
                                  "--columns", "per_class", "--format", "json"))
        by_key = {key(r["train.lr"], r["train.seed"]): r for r in out["rows"]}
        for _, row in df.iterrows():
            for c in classes:
                self.assertAlmostEqual(row[c] * 100, by_key[key(row["train.lr"], row["train.seed"])][c], places=9)
        shot = self.client.results_dataframe(self.sweep, columns="shot")
        # The fake trainer reports no class counts: many_shot_error comes from its series.
        self.assertTrue(((shot.many_shot_error - shot.val_error * 0.5).abs() < 1e-12).all())
        self.assertTrue(shot.few_shot_error.isna().all())

    def test_metric_and_goal_can_be_chosen(self):
        df = self.client.results_dataframe(self.sweep, metric="train_loss", goal="maximize")
        m = self.client.metrics_dataframe(int(df.trial_id[0]))
        losses = m[m.name == "train_loss"]
        self.assertAlmostEqual(df.train_loss[0], losses.value.max())
        self.assertEqual(df.train_loss_epoch[0], int(losses.loc[losses.value.idxmax(), "epoch"]))
        with self.assertRaises(ValueError):
            self.client.results_dataframe(self.sweep, goal="largest")

    def test_metrics_dataframe_matches_ltsweep_trial(self):
        df = self.client.results_dataframe(self.sweep)
        trial = int(df.trial_id[1])
        m = self.client.metrics_dataframe(trial)
        self.assertEqual(list(m.columns),
                         ["trial_id", "attempt", "source_trial_id", "epoch", "name", "class_index", "value"])
        self.assertTrue((m.trial_id == trial).all())
        self.assertTrue((m.attempt == 1).all())
        self.assertEqual(sorted(set(m.epoch)), [0, 1, 2])
        per_class = m[m.class_index >= 0]
        self.assertEqual(len(per_class), 3 * 4)
        self.assertEqual(sorted(set(per_class.class_index)), [0, 1, 2, 3])
        scalars = m[m.class_index < 0].pivot(index="epoch", columns="name", values="value")
        cli = json.loads(run_cli(["trial", str(trial), "--format", "json", "--coordinator",
                                  self.cluster.address]).stdout)
        self.assertEqual(len(cli["metrics"]), 3)
        for row in cli["metrics"]:
            for name, value in row.items():
                if name == "epoch":
                    continue
                self.assertTrue(math.isclose(scalars.loc[row["epoch"], name], value, rel_tol=1e-5),
                                "{} at epoch {}".format(name, row["epoch"]))
        self.assertEqual(df.val_error[1], scalars.val_error.min())
        kinds = {p["kind"] for p in self.client.payloads(trial)}
        self.assertIn("start", kinds)
        self.assertIn("done", kinds)

    def test_trials_pages_through_list_trials(self):
        trials = self.client.trials(self.sweep, page_size=1)
        self.assertEqual(sorted(t.trial_id for t in trials), list(self.client.results_dataframe(self.sweep).trial_id))


class ErrorsTest(unittest.TestCase):
    """What a user meets when something is wrong: clear exceptions with the coordinator's message."""

    def test_unknown_sweep_bad_spec_and_nobody_listening(self):
        with Cluster() as cluster:
            c = lc.Client(cluster.address)
            with self.assertRaises(lc.NotFound) as e:
                c.status(99)
            self.assertIn("99", str(e.exception))
            self.assertEqual(e.exception.code.name, "NOT_FOUND")
            bad = cluster.write("bad.yaml", "name: bad\nconfig:\n  train: {epochs: -3}\n")
            with self.assertRaises(lc.InvalidArgument) as e:
                c.submit(bad)
            self.assertIn("bad.yaml", str(e.exception))
            self.assertIn("train.epochs", str(e.exception))
            with self.assertRaises(lc.LtsweepError) as e:
                c.submit(cluster.path("missing.yaml"))
            self.assertIn("missing.yaml", str(e.exception))
            with self.assertRaises(lc.NotFound):
                c.results_dataframe(99)
            c.close()
        with lc.Client("127.0.0.1:1", timeout=5) as c:
            with self.assertRaises(lc.Unavailable) as e:
                c.status()
            self.assertIn("cannot reach the coordinator at 127.0.0.1:1", str(e.exception))

    def test_wait_times_out_then_sees_the_cancel(self):
        with Cluster() as cluster:  # no worker: the trials stay queued
            c = lc.Client(cluster.address)
            sweep = c.submit(cluster.write("small.yaml", SPEC))
            with self.assertRaises(lc.WaitTimeout) as e:
                c.wait(sweep, poll=0.2, timeout=1.0)
            self.assertIsInstance(e.exception, TimeoutError)
            self.assertIn("did not finish within 1 s", str(e.exception))
            self.assertEqual(e.exception.info["trials_queued"], 4)
            self.assertEqual(c.cancel(sweep), 4)
            self.assertEqual(c.wait(sweep, timeout=10)["state"], "cancelled")
            empty = c.results_dataframe(sweep)
            self.assertEqual(len(empty), 0)
            self.assertIn("val_error", empty.columns)
            everything = c.results_dataframe(sweep, all=True)
            self.assertEqual(list(everything.state), ["cancelled"] * 4)
            self.assertTrue(everything.val_error.isna().all())
            c.close()


class WaitFallbackTest(unittest.TestCase):

    def test_wait_polls_when_the_coordinator_refuses_a_stream(self):
        import grpc
        from ltsweep_client._proto import client_service_pb2 as pb
        with Cluster(["--max-watch-streams", "1"]) as cluster:
            c = lc.Client(cluster.address)
            sweep = c.submit(cluster.write("small.yaml", SPEC))
            # Another client holds the one stream the coordinator allows.
            held = c._stub.WatchSweep(pb.WatchSweepRequest(sweep_id=sweep), timeout=60)
            self.assertEqual(next(held).sweep.trials_total, 4)
            other = c._stub.WatchSweep(pb.WatchSweepRequest(sweep_id=sweep), timeout=10)
            with self.assertRaises(grpc.RpcError) as e:
                next(other)
            self.assertEqual(e.exception.code().name, "RESOURCE_EXHAUSTED")
            cluster.start_worker("w1", slots=2)
            seen = []
            info = c.wait(sweep, poll=0.1, timeout=60, on_update=seen.append)
            self.assertEqual((info["state"], info["trials_succeeded"]), ("done", 4))
            self.assertGreater(len(seen), 0)
            held.cancel()
            c.close()
