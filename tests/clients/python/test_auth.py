"""ltsweep_client and the coordinator's security: bearer tokens with roles
(`ltsweep token create`, `ltsweep coordinator --auth-tokens`) and TLS /
mutual TLS (certificates made with the openssl command, as
tests/coordinator/auth_test_util.cc makes them)."""

import os
import shutil
import subprocess
import unittest

from ltsweep_processes import Cluster, import_client, run_cli

SPEC = """name: secured
config:
  train: {epochs: 2}
seeds: [0, 1]
"""


def setUpModule():
    global lc
    lc = import_client()


def create_token(tokens, role):
    """`ltsweep token create --role ROLE`: the token it prints once."""
    return run_cli(["token", "create", "--role", role, "--tokens", tokens, "--name", role]).stdout.strip()


class TokensTest(unittest.TestCase):

    def test_a_read_token_reads_but_cannot_submit_and_no_token_is_refused(self):
        with Cluster() as cluster:
            tokens = cluster.path("tokens")
            token = {role: create_token(tokens, role) for role in ("submit", "read", "worker")}
            cluster.restart_coordinator(["--auth-tokens", tokens])
            spec = cluster.write("secured.yaml", SPEC)

            with lc.Client(cluster.address) as anonymous:
                with self.assertRaises(lc.Unauthenticated) as e:
                    anonymous.status()
                self.assertIn("authentication required", str(e.exception))
            with lc.Client(cluster.address, token="0123") as stranger:
                with self.assertRaises(lc.Unauthenticated) as e:
                    stranger.status()
                self.assertEqual(str(e.exception), "invalid token")

            reader = lc.Client(cluster.address, token=token["read"])
            with self.assertRaises(lc.PermissionDenied) as e:
                reader.submit(spec)
            self.assertIn('token "read" (role read) may not call /ltsweep.v1.ClientService/SubmitSweep',
                          str(e.exception))
            self.assertEqual(e.exception.code.name, "PERMISSION_DENIED")
            self.assertEqual(reader.status(), [])

            worker_token = cluster.write("worker.token", token["worker"] + "\n", mode=0o600)
            cluster.start_worker("w1", extra_args=["--token-file", worker_token])
            submit_file = cluster.write("submit.token", "\n" + token["submit"] + "\n", mode=0o644)
            with self.assertRaises(lc.LtsweepError) as e:
                lc.Client(cluster.address, token_file=submit_file)
            self.assertIn("mode 0644 lets other users read or change it; run: chmod 600", str(e.exception))
            os.chmod(submit_file, 0o600)
            with lc.Client(cluster.address, token_file=submit_file) as submitter:
                sweep = submitter.submit(spec)
            self.assertEqual(reader.wait(sweep, poll=0.2, timeout=60)["state"], "done")
            df = reader.results_dataframe(sweep)
            self.assertEqual(sorted(df["train.seed"]), [0, 1])
            self.assertEqual(len(reader.metrics_dataframe(int(df.trial_id[0]))[lambda m: m.name == "val_error"]), 2)
            with self.assertRaises(lc.PermissionDenied) as e:
                reader.cancel(sweep)
            self.assertIn("CancelSweep", str(e.exception))
            reader.close()

            os.environ["LTSWEEP_TOKEN"] = token["read"]
            try:
                with lc.Client(cluster.address) as from_env:
                    self.assertEqual(from_env.status(sweep)["state"], "done")
            finally:
                del os.environ["LTSWEEP_TOKEN"]
            self.assertNotIn(token["read"], cluster.coordinator.log())

    def test_a_token_is_never_sent_in_clear_text_off_loopback(self):
        with self.assertRaises(lc.LtsweepError) as e:
            lc.Client("192.0.2.1:50051", token="abc")
        self.assertIn("only over TLS: pass tls_ca=FILE", str(e.exception))
        with self.assertRaises(lc.LtsweepError) as e:
            lc.Client("127.0.0.1:50051", token="a b")
        self.assertIn("printable ASCII without spaces", str(e.exception))
        with self.assertRaises(lc.LtsweepError) as e:
            lc.Client("127.0.0.1:50051", tls_cert="c.pem")
        self.assertIn("tls_cert and tls_key go together", str(e.exception))


def make_cert(folder, name, cn, ca=None, extensions=None):
    """A key and certificate signed by `ca` (None: a self-signed CA)."""
    def run(cmd):
        subprocess.run(cmd, cwd=folder, check=True, capture_output=True, timeout=60)
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", name + ".key"]
    if ca is None:
        run(["openssl", "req", "-x509"] + key + ["-out", name + ".crt", "-days", "2", "-subj", "/CN=" + cn])
        return
    run(["openssl", "req"] + key + ["-out", name + ".csr", "-subj", "/CN=" + cn])
    with open(os.path.join(folder, name + ".ext"), "w") as f:
        f.write(extensions + "\n")
    run(["openssl", "x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
         "-CAcreateserial", "-out", name + ".crt", "-days", "2", "-extfile", name + ".ext"])


class TlsTest(unittest.TestCase):

    def setUp(self):
        if shutil.which("openssl") is None:
            self.skipTest("the openssl command is missing: no test certificates")

    def pki(self, cluster):
        d = cluster.dir
        make_cert(d, "ca", "ltsweep-test-ca")
        make_cert(d, "server", "localhost", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1")
        make_cert(d, "client", "ltsweep-test-client", "ca", "extendedKeyUsage=clientAuth")
        make_cert(d, "other-ca", "ltsweep-other-ca")
        return lambda name: os.path.join(d, name)

    def test_tls_and_mutual_tls(self):
        with Cluster() as cluster:
            at = self.pki(cluster)
            cluster.restart_coordinator(["--tls-cert", at("server.crt"), "--tls-key", at("server.key")])
            with lc.Client(cluster.address, tls_ca=at("ca.crt")) as c:
                self.assertEqual(c.status(), [])
            with lc.Client(cluster.address, timeout=5) as plain:
                with self.assertRaises(lc.Unavailable) as e:
                    plain.status()
                self.assertIn("is the coordinator using TLS? pass tls_ca=FILE", str(e.exception))
            with lc.Client(cluster.address, tls_ca=at("other-ca.crt"), timeout=5) as untrusted:
                with self.assertRaises(lc.Unavailable) as e:
                    untrusted.status()
                self.assertIn("TLS handshake failed", str(e.exception))

            cluster.restart_coordinator(["--tls-cert", at("server.crt"), "--tls-key", at("server.key"),
                                   "--tls-client-ca", at("ca.crt")])
            with lc.Client(cluster.address, tls_ca=at("ca.crt"), timeout=5) as no_cert:
                with self.assertRaises(lc.Unavailable):
                    no_cert.status()
            with lc.Client(cluster.address, tls_ca=at("ca.crt"), tls_cert=at("client.crt"),
                           tls_key=at("client.key")) as mutual:
                self.assertEqual(mutual.status(), [])
