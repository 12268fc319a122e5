"""How ltsweep_client reaches a coordinator: address, TLS and bearer token.

The rules are those of the ltsweep CLI (proto/credentials.cc, cli/security_flags.cc):

* ``tls_ca`` set: TLS, trusting that CA's certificates; ``tls_cert`` and
  ``tls_key`` (both or neither) add a client certificate for a coordinator
  that wants mutual TLS; ``tls_server_name`` overrides the name checked on
  the coordinator's certificate.
* a token without TLS: only to a loopback address (127.0.0.0/8, ::1,
  localhost), over gRPC local credentials -- what a coordinator with
  ``--auth-tokens`` and no TLS serves.
* neither: plain text.

The token travels as the ``authorization: Bearer <token>`` metadata of each
call, which the coordinator's TokenAuthProcessor checks.

Defaults, as the CLI's: the address from $LTSWEEP_COORDINATOR (else
localhost:50051), the token from $LTSWEEP_TOKEN, the CA from $LTSWEEP_TLS_CA.
"""

import ipaddress
import os
import stat

import grpc

from ltsweep_client.errors import LtsweepError

DEFAULT_ADDRESS = "localhost:50051"
# As the CLI (cli/coordinator_client.cc): answers of a large sweep's pages.
MAX_RECEIVE_BYTES = 64 << 20


def default_address():
    """$LTSWEEP_COORDINATOR, else localhost:50051."""
    return os.environ.get("LTSWEEP_COORDINATOR") or DEFAULT_ADDRESS


def host_of(address):
    """The host part of "host:port", "[v6]:port", with dns:/ipv4:/ipv6: prefixes dropped."""
    for prefix in ("dns:///", "dns:", "ipv4:", "ipv6:"):
        if address.startswith(prefix):
            address = address[len(prefix):]
            break
    if address.startswith("["):
        close = address.find("]")
        return address[1:close] if close >= 0 else ""
    if address.count(":") == 1:
        return address.rsplit(":", 1)[0]
    return address


def is_loopback(address):
    """Whether ``address`` names this machine over loopback."""
    host = host_of(address)
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def check_token(token, source):
    """``token`` stripped; refuses one that is not printable ASCII without spaces."""
    token = token.strip()
    if not token:
        raise LtsweepError(source + ": the token is empty")
    if any(not 0x21 <= ord(c) <= 0x7E for c in token):
        raise LtsweepError(source + ": a token is printable ASCII without spaces")
    return token


def read_token_file(path):
    """The first non-empty line of ``path`` (made by `ltsweep token create --out`).

    As the CLI's --token-file (common/secrets.h ReadPrivateFile), the file must
    be private: refused when other users may read or change it or its group
    may change it.
    """
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError as e:
        raise LtsweepError("token_file: {}: {}".format(path, e.strerror)) from e
    if mode & (stat.S_IRWXO | stat.S_IWGRP):
        raise LtsweepError("token_file: {}: mode {:04o} lets other users read or change it; run: chmod 600 {}"
                           .format(path, mode, path))
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
    except OSError as e:
        raise LtsweepError("token_file: {}: {}".format(path, e.strerror)) from e
    if not lines:
        raise LtsweepError("token_file: {}: the file is empty".format(path))
    return check_token(lines[0], "token_file " + path)


def _read_pem(path, what):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise LtsweepError("{}: {}: {}".format(what, path, e.strerror)) from e
    if b"-----BEGIN " not in data:
        raise LtsweepError("{}: {}: not a PEM file".format(what, path))
    return data


def make_channel(address, token, tls_ca, tls_cert, tls_key, tls_server_name):
    """A grpc.Channel to ``address`` secured as the module docstring says.

    Raises LtsweepError naming the argument at fault.
    """
    if (tls_cert is None) != (tls_key is None):
        raise LtsweepError("tls_cert and tls_key go together: give both or neither")
    options = [("grpc.max_receive_message_length", MAX_RECEIVE_BYTES)]
    if tls_ca:
        creds = grpc.ssl_channel_credentials(
            root_certificates=_read_pem(tls_ca, "tls_ca"),
            private_key=_read_pem(tls_key, "tls_key") if tls_key else None,
            certificate_chain=_read_pem(tls_cert, "tls_cert") if tls_cert else None)
        if tls_server_name:
            options.append(("grpc.ssl_target_name_override", tls_server_name))
        return grpc.secure_channel(address, creds, options=options)
    if tls_cert or tls_server_name:
        raise LtsweepError("tls_cert, tls_key and tls_server_name need tls_ca (the CA to trust)")
    if token:
        if not is_loopback(address):
            raise LtsweepError("a token is sent to {} only over TLS: pass tls_ca=FILE (the CA that signed the "
                               "coordinator's certificate)".format(address))
        local = grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP)
        return grpc.secure_channel(address, local, options=options)
    return grpc.insecure_channel(address, options=options)
