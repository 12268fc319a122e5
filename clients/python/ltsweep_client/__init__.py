"""ltsweep_client: submit sweeps to an ltsweep coordinator and read their results into pandas.

    from ltsweep_client import Client
    c = Client("127.0.0.1:50051")               # token=..., tls_ca=... as the CLI's flags
    sweep = c.submit("sweeps/quickstart.yaml")  # -> sweep id
    c.wait(sweep)                               # -> final sweep info (dict)
    df = c.results_dataframe(sweep)             # one row per trial, config keys as dotted columns
    df.groupby(varying_columns(df)).val_error.agg(["mean", "std", "count"])
    m = c.metrics_dataframe(df.trial_id[0])     # one row per (epoch, metric)

The gRPC stubs (``ltsweep_client._proto``) are generated from proto/*.proto
when ltsweep is built (clients/python/CMakeLists.txt); the importable package
is build/clients/python/ltsweep_client. Failures raise LtsweepError
subclasses carrying the coordinator's message (ltsweep_client.errors).
"""

from ltsweep_client.client import Client, message_to_dict, sweep_finished
from ltsweep_client.errors import (InvalidArgument, LtsweepError, NotFound, PermissionDenied, ResourceExhausted,
                                   Unauthenticated, Unavailable, WaitTimeout)
from ltsweep_client.frames import varying_columns

__all__ = [
    "Client", "LtsweepError", "InvalidArgument", "NotFound", "PermissionDenied", "ResourceExhausted",
    "Unauthenticated", "Unavailable", "WaitTimeout", "message_to_dict", "sweep_finished", "varying_columns",
]
