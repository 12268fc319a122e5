"""Test helpers: real `ltsweep coordinator` and `ltsweep worker` processes on
loopback (the Python twin of tests/coordinator/cluster.h), and the CLI.

The paths come from the environment that tests/clients/CMakeLists.txt sets:
LTSWEEP_CLI (the built `ltsweep`), LTSWEEP_FAKE_TRAIN (tests/fake_trainer).
"""

import os
import signal
import subprocess
import tempfile
import time
import unittest


def binaries():
    """(ltsweep, fake trainer) paths; skips the test when they are not given."""
    cli, fake = os.environ.get("LTSWEEP_CLI"), os.environ.get("LTSWEEP_FAKE_TRAIN")
    if not cli or not fake or not os.path.exists(cli) or not os.path.exists(fake):
        raise unittest.SkipTest("LTSWEEP_CLI / LTSWEEP_FAKE_TRAIN do not name built binaries (run through ctest)")
    return cli, fake


def run_cli(args, env=None, check=True):
    """Runs `ltsweep ARGS`; returns the CompletedProcess (text)."""
    cli, _ = binaries()
    full_env = dict(os.environ, **(env or {}))
    r = subprocess.run([cli] + list(args), capture_output=True, text=True, env=full_env, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError("ltsweep {} exited {}: {}".format(" ".join(args), r.returncode, r.stderr))
    return r


def wait_until(done, timeout_s, what):
    until = time.monotonic() + timeout_s
    while time.monotonic() < until:
        if done():
            return
        time.sleep(0.05)
    if not done():
        raise AssertionError("timed out after {} s waiting for {}".format(timeout_s, what))


class Process:
    """A child process with stdout and stderr in a log file; killed by stop()."""

    def __init__(self, argv, log_path, env=None):
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **(env or {})))

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout_s=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


class Cluster:
    """A coordinator on 127.0.0.1:<free port> with a database in a temp folder, and workers
    running the fake trainer. Use as a context manager; everything is stopped at exit."""

    def __init__(self, coordinator_args=()):
        self.cli, self.fake = binaries()
        self._tmp = tempfile.TemporaryDirectory(prefix="ltsweep-pyclient-")
        self.dir = self._tmp.name
        self.db = self.path("sweeps.db")
        self.coordinator_args = list(coordinator_args)
        self.coordinator = None
        self.workers = []
        self.address = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def __enter__(self):
        self.start_coordinator()
        return self

    def __exit__(self, *exc):
        for w in self.workers:
            w.stop()
        if self.coordinator:
            self.coordinator.stop()
        self._tmp.cleanup()

    def start_coordinator(self):
        port_file = self.path("port")
        if os.path.exists(port_file):
            os.remove(port_file)  # a restart: wait for the new one
        argv = [self.cli, "coordinator", "--db", self.db, "--listen", "127.0.0.1:0", "--lease-ttl", "5s",
                "--heartbeat", "300ms", "--scan-interval", "100ms", "--idle-retry", "100ms", "--port-file",
                port_file] + self.coordinator_args
        self.coordinator = Process(argv, self.path("coordinator.log"))

        def up():
            if self.coordinator.proc.poll() is not None:
                raise AssertionError("the coordinator exited: " + self.coordinator.log())
            return os.path.exists(port_file) and open(port_file).read().strip() != ""
        wait_until(up, 15, "the coordinator's port file")
        self.address = "127.0.0.1:" + open(port_file).read().strip()

    def restart_coordinator(self, coordinator_args):
        """Stops the coordinator and starts it again (on a new port) with these arguments."""
        self.coordinator.stop()
        self.coordinator_args = list(coordinator_args)
        self.start_coordinator()

    def start_worker(self, worker_id="w1", slots=2, env=None, extra_args=()):
        argv = [self.cli, "worker", "--coordinator", self.address, "--slots", str(slots), "--trainer", self.fake,
                "--work-dir", self.path("work-" + worker_id), "--grace", "1s", "--heartbeat", "300ms",
                "--flush-interval", "0", "--backoff-max", "300ms", "--worker-id", worker_id, "--threads", "1"]
        w = Process(argv + list(extra_args), self.path("worker-" + worker_id + ".log"),
                    dict({"LTSWEEP_FAKE_EPOCH_MS": "20"}, **(env or {})))
        self.workers.append(w)
        return w

    def write(self, name, text, mode=0o644):
        path = self.path(name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, mode)
        return path


def import_client():
    """The ltsweep_client package; skips the test, saying what is missing, when grpcio,
    pandas or the built package (its generated stubs) cannot be imported."""
    for module, package in (("grpc", "python3-grpcio"), ("pandas", "python3-pandas")):
        try:
            __import__(module)
        except ImportError:
            raise unittest.SkipTest("{} is missing (Debian: apt-get install {})".format(module, package))
    try:
        import ltsweep_client
    except ImportError as e:
        raise unittest.SkipTest("ltsweep_client is not built (needs python3-grpc-tools at configure time; "
                                "PYTHONPATH=build/clients/python): {}".format(e))
    return ltsweep_client
