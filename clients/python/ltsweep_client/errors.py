"""The exceptions of ltsweep_client.

Every failed call raises an :class:`LtsweepError` (or a subclass) whose
message is the coordinator's own gRPC status message, e.g.::

    PermissionDenied: token "alice" (role read) may not call
    /ltsweep.v1.ClientService/SubmitSweep: it needs submit access

The gRPC status code is kept in ``.code`` (a ``grpc.StatusCode``) and the
coordinator's message, unchanged, in ``.details``. Catch ``LtsweepError``
for any failure, or one of the subclasses for a specific one.
"""

import grpc


class LtsweepError(Exception):
    """A call to the coordinator failed (or the client was misconfigured).

    Attributes:
        code: the ``grpc.StatusCode`` of the failure (``None`` for errors
            raised before any call, such as a missing spec file).
        details: the coordinator's status message, unchanged.
    """

    def __init__(self, message, code=None, details=None):
        super().__init__(message)
        self.code = code
        self.details = details if details is not None else message


class InvalidArgument(LtsweepError):
    """Bad input: an invalid sweep spec (the message names the file and key), a bad id."""


class NotFound(LtsweepError):
    """No such sweep or trial."""


class Unauthenticated(LtsweepError):
    """The coordinator needs a token and got none, or an unknown one."""


class PermissionDenied(LtsweepError):
    """The token's role does not allow the call (e.g. a read token submitting)."""


class Unavailable(LtsweepError):
    """The coordinator cannot be reached (down, wrong address, TLS mismatch)."""


class ResourceExhausted(LtsweepError):
    """The coordinator refused for lack of room (too many open watch streams)."""


class WaitTimeout(LtsweepError, TimeoutError):
    """``Client.wait`` gave up before the sweep finished.

    Attributes:
        info: the sweep's last known state (a dict, as ``Client.status``).
    """

    def __init__(self, message, info=None):
        super().__init__(message, code=grpc.StatusCode.DEADLINE_EXCEEDED)
        self.info = info


_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.FAILED_PRECONDITION: InvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
}


def transport_hint(details, tls):
    """A sentence to add to an UNAVAILABLE message when it most likely means a
    TLS mismatch; "" when nothing useful can be said (the rules of
    proto/credentials.cc TransportErrorHint)."""
    d = details or ""
    if not tls and ("Socket closed" in d or "Connection reset" in d):
        return "TLS handshake failed: is the coordinator using TLS? pass tls_ca=FILE"
    if tls and "wrong version number" in d:
        return "TLS handshake failed: the coordinator answered in plain text: is it using TLS? (drop tls_ca if not)"
    if tls and any(s in d for s in ("andshake", "SSL", "Socket closed", "Connection reset")):
        return ("TLS handshake failed: check that tls_ca names the CA that signed the coordinator's certificate "
                "for this host name, and, if the coordinator asks for client certificates, pass tls_cert and tls_key")
    return ""


def from_rpc_error(error, address, tls):
    """The LtsweepError for a ``grpc.RpcError`` raised by a call to ``address``."""
    code = error.code() if hasattr(error, "code") else None
    details = error.details() if hasattr(error, "details") else str(error)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        hint = transport_hint(details, tls)
        message = "cannot reach the coordinator at {}: {}".format(address, hint + " (" + details + ")" if hint
                                                                  else details)
        return Unavailable(message, code=code, details=details)
    cls = _BY_CODE.get(code, LtsweepError)
    return cls(details or str(code), code=code, details=details)
