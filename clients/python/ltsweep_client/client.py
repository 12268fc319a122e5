"""Client: the coordinator's ClientService from Python.

One Client holds one gRPC channel; it is safe to use from several threads
(gRPC channels and stubs are). Close it with ``close()`` or use it as a
context manager. Every method raises an ``LtsweepError`` subclass
(``ltsweep_client.errors``) carrying the coordinator's message when a call
fails.
"""

import json
import os
import time
import uuid

import grpc

from ltsweep_client import connection, frames
from ltsweep_client._proto import client_service_pb2 as pb
from ltsweep_client._proto import client_service_pb2_grpc as pb_grpc
from ltsweep_client.errors import LtsweepError, WaitTimeout, from_rpc_error

# As the CLI (cli/coordinator_client.h kSubmitTimeout): expanding and storing
# a very large sweep takes seconds.
SUBMIT_TIMEOUT_S = 120.0
TERMINAL_SWEEP_STATES = ("done", "failed", "cancelled")


def message_to_dict(message):
    """A protobuf message's fields as a plain dict (ints stay ints, nested messages become dicts)."""
    out = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if field.type == field.TYPE_MESSAGE:
            if field.label == field.LABEL_REPEATED:
                value = [message_to_dict(v) for v in value]
            else:
                value = message_to_dict(value) if message.HasField(field.name) else None
        elif field.label == field.LABEL_REPEATED:
            value = list(value)
        out[field.name] = value
    return out


def sweep_finished(info):
    """Whether a sweep (a dict from ``status``) has ended, as `ltsweep watch` judges it: a
    terminal state, or every trial made so far is terminal and no more will be made."""
    if info["state"] == "submitting":
        return False
    if info["state"] in TERMINAL_SWEEP_STATES:
        return True
    total = info["trials_total"]
    return total > 0 and info["trials_queued"] + info["trials_running"] == 0 and total >= info["run_cap"]


class Client:
    """A connection to an ltsweep coordinator.

    Args:
        address: "host:port" of the coordinator's gRPC port (default:
            $LTSWEEP_COORDINATOR, else localhost:50051).
        token: bearer token (`ltsweep token create`), sent as the
            ``authorization: Bearer <token>`` metadata of every call
            (default: $LTSWEEP_TOKEN; none when unset). Without TLS a token
            is sent only to a loopback address.
        tls_ca: PEM file of the CA that signed the coordinator's
            certificate: speak TLS (default: $LTSWEEP_TLS_CA).
        tls_cert, tls_key: client certificate and key for a coordinator that
            wants mutual TLS (``--tls-client-ca``); both or neither.
        tls_server_name: the name the coordinator's certificate must carry,
            when not the host of ``address``.
        token_file: read the token from this file instead (its first line).
        timeout: seconds each call may take (default 30; a submit gets at
            least 120).

    Example::

        from ltsweep_client import Client
        with Client("127.0.0.1:50051") as c:
            sweep = c.submit("sweeps/quickstart.yaml")
            c.wait(sweep)
            df = c.results_dataframe(sweep)
    """

    def __init__(self, address=None, token=None, tls_ca=None, tls_cert=None, tls_key=None,
                 tls_server_name=None, token_file=None, timeout=30.0):
        self.address = address or connection.default_address()
        if token is not None and token_file is not None:
            raise LtsweepError("token and token_file: give one or neither")
        if token_file is not None:
            token = connection.read_token_file(token_file)
        elif token is not None:
            token = connection.check_token(token, "token")
        elif os.environ.get("LTSWEEP_TOKEN", "").strip():
            token = connection.check_token(os.environ["LTSWEEP_TOKEN"], "$LTSWEEP_TOKEN")
        if tls_ca is None:
            tls_ca = os.environ.get("LTSWEEP_TLS_CA") or None
        self._tls = bool(tls_ca)
        self._timeout = timeout
        self._metadata = (("authorization", "Bearer " + token),) if token else ()
        self._channel = connection.make_channel(self.address, token, tls_ca, tls_cert, tls_key, tls_server_name)
        self._stub = pb_grpc.ClientServiceStub(self._channel)

    def close(self):
        """Closes the channel; the client cannot be used afterwards."""
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "Client({!r}{})".format(self.address, ", tls" if self._tls else "")

    def _call(self, method, request, timeout=None):
        try:
            return getattr(self._stub, method)(request, timeout=timeout or self._timeout,
                                               metadata=self._metadata)
        except grpc.RpcError as e:
            raise from_rpc_error(e, self.address, self._tls) from None

    # --- sweeps -------------------------------------------------------------

    def submit(self, spec_path, rerun=False):
        """Submits the sweep spec (YAML) at ``spec_path``; returns the new sweep's id.

        ``rerun``: run trials again whose identical config already succeeded
        in an earlier sweep (default: link to that result). A submit that
        cannot reach the coordinator is retried once with the same request id,
        so it never creates the sweep twice. Raises InvalidArgument naming the
        file and key of a bad spec, PermissionDenied for a token that may not
        submit.
        """
        try:
            with open(spec_path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise LtsweepError("{}: {}".format(spec_path, e.strerror)) from e
        request = pb.SubmitSweepRequest(spec_yaml=text, source_name=str(spec_path), force_rerun=rerun,
                                        request_id=uuid.uuid4().hex)
        timeout = max(self._timeout, SUBMIT_TIMEOUT_S)
        for tries_left in (1, 0):
            try:
                return self._call("SubmitSweep", request, timeout).sweep_id
            except LtsweepError as e:
                if tries_left == 0 or e.code != grpc.StatusCode.UNAVAILABLE:
                    raise
                time.sleep(1.0)

    def status(self, sweep=None):
        """The sweep's info as a dict (SweepInfo's fields: state, trials_total,
        trials_succeeded, ...), or with no ``sweep`` a list of every sweep's."""
        if sweep is None:
            return [message_to_dict(s) for s in self._call("ListSweeps", pb.ListSweepsRequest()).sweeps]
        return message_to_dict(self._call("GetSweep", pb.GetSweepRequest(sweep_id=int(sweep))))

    def cancel(self, sweep):
        """Cancels the sweep's unfinished trials; returns how many were cancelled."""
        return self._call("CancelSweep", pb.CancelSweepRequest(sweep_id=int(sweep))).trials_cancelled

    def workers(self):
        """Every worker the coordinator knows, as dicts (WorkerInfo's fields)."""
        return [message_to_dict(w) for w in self._call("ListWorkers", pb.ListWorkersRequest()).workers]

    def wait(self, sweep, poll=2.0, timeout=None, on_update=None):
        """Blocks until the sweep has ended; returns its final info (a dict, as ``status``).

        Follows the coordinator's WatchSweep stream; where the coordinator
        refuses a stream (too many open: RESOURCE_EXHAUSTED) it polls GetSweep
        every ``poll`` seconds instead. ``timeout``: seconds to wait at most
        (None: forever); past it raises WaitTimeout (with ``.info``, the last
        state seen). ``on_update(info)`` is called with each new state.
        The sweep may have ended failed or cancelled: check ``info["state"]``.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        info = self.status(sweep)
        while not sweep_finished(info):
            if on_update is not None:
                on_update(info)
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise WaitTimeout("sweep {} did not finish within {:g} s (state {}, {}/{} trials succeeded)".format(
                    sweep, timeout, info["state"], info["trials_succeeded"], info["trials_total"]), info)
            info = self._watch_until_finished(sweep, info, poll, left, on_update)
        return info

    def _watch_until_finished(self, sweep, info, poll, left, on_update):
        """Follows one WatchSweep stream (or sleeps one poll); returns the newest info."""
        stream = self._stub.WatchSweep(pb.WatchSweepRequest(sweep_id=int(sweep)), timeout=left,
                                       metadata=self._metadata)
        try:
            for event in stream:
                info = message_to_dict(event.sweep)
                if sweep_finished(info):
                    stream.cancel()
                    break
                if on_update is not None and event.changed:
                    on_update(info)
        except grpc.RpcError as e:
            code = e.code()
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                return info  # the caller's deadline: wait() raises
            if code not in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNIMPLEMENTED,
                            grpc.StatusCode.CANCELLED):
                raise from_rpc_error(e, self.address, self._tls) from None
        current = self.status(sweep)
        if not sweep_finished(current):
            time.sleep(poll if left is None else max(0.0, min(poll, left)))
        return current

    # --- results ------------------------------------------------------------

    def trials(self, sweep, include_config=True, include_history=False, started_only=False, page_size=1000):
        """Every trial of the sweep as TrialInfo messages, paging through ListTrials."""
        request = pb.ListTrialsRequest(sweep_id=int(sweep), page_size=page_size, include_config=include_config,
                                       include_history=include_history, started_only=started_only)
        out = []
        while True:
            page = self._call("ListTrials", request)
            out.extend(page.trials)
            if not page.next_page_token:
                return out
            request.page_token = page.next_page_token

    def results_dataframe(self, sweep, all=False, metric=None, goal=None, columns=None):  # noqa: A002
        """A pandas DataFrame with one row per trial of the sweep (in trial id order).

        Columns: trial_id, sweep_id, state, attempts, worker_id, reused_from,
        error; every config key flattened to a dotted column name
        (``train.lr``, ``method.loss``; lists as tuples), led for a staged
        sweep (``stages:``) by ``stage`` (1-based: every stage's trials are
        here, `ltsweep results` shows one stage at a time); then the metric
        columns of `ltsweep results`: ``<metric>`` (its best epoch's value,
        by the goal), ``<metric>_epoch``, ``<metric>_last`` (the last epoch's)
        and ``epochs`` (epochs with a value). Values are as reported: error
        rates are fractions (`ltsweep results` prints percent).

        Args:
            sweep: the sweep id.
            all: every trial, whatever its state (queued ones have no values);
                default: the trials `ltsweep results` counts, succeeded or
                linked to an earlier success.
            metric, goal: the target metric and "minimize"/"maximize"
                (default: the sweep's).
            columns: extra columns at the best epoch: "per_class"
                (``error[<class>]``) or "shot" (many/medium/few_shot_error).
        """
        info = self.status(sweep)
        metric = metric or info["metric_name"] or "val_error"
        goal = goal or info["metric_goal"] or "minimize"
        trials = self.trials(sweep, include_history=True, started_only=not all)
        if not all:
            trials = [t for t in trials if t.state in frames.SUCCESS_STATES]
        return frames.results_frame(trials, metric, goal, columns, stages=info.get("stages") or ())

    def metrics_dataframe(self, trial, attempt=0):
        """A pandas DataFrame of the trial's metric rows, one per (epoch, name, class_index), as
        QueryMetrics returns them: columns trial_id, attempt, source_trial_id, epoch, name,
        class_index (-1 for a scalar, else the class of a per-class row), value.

        ``attempt``: 0 (default) for the latest. A linked trial's rows are its
        source's (``source_trial_id``). Pivot for one column per metric::

            m = c.metrics_dataframe(5)
            m[m.class_index < 0].pivot(index="epoch", columns="name", values="value")
        """
        response = self._call("QueryMetrics", pb.QueryMetricsRequest(trial_id=int(trial), attempt=attempt))
        return frames.metrics_frame(response)

    def payloads(self, trial, attempt=0):
        """The trial's JSON payloads (start, done, confusion, ...) as dicts
        {epoch, kind, data}, ``data`` parsed (None when it is not JSON)."""
        response = self._call("QueryMetrics", pb.QueryMetricsRequest(trial_id=int(trial), attempt=attempt))
        out = []
        for p in response.payloads:
            try:
                data = json.loads(p.json)
            except ValueError:
                data = None
            out.append({"epoch": p.epoch, "kind": p.kind, "data": data})
        return out


__all__ = ["Client", "message_to_dict", "sweep_finished"]
