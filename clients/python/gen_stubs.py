"""Generates the gRPC stubs of ltsweep_client from proto/*.proto.

Run by CMake (clients/python/CMakeLists.txt) at build time, never by hand:

    python3 gen_stubs.py --source-root REPO --out PKG_DIR/_proto proto/metrics.proto ...

protoc writes modules that import each other as ``from proto import
metrics_pb2`` (the .proto files import "proto/metrics.proto"), which only
works with the generated tree itself on sys.path. This script runs
grpc_tools.protoc into a scratch folder and rewrites those imports to
relative ones (``from . import metrics_pb2``), so the stubs live inside the
package as ``ltsweep_client._proto``. Generated code is never committed.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile

_IMPORT = re.compile(r"^from proto import (\w+_pb2(?:_grpc)?) as (\w+)$", re.MULTILINE)


def generate(source_root, out_dir, protos):
    try:
        from grpc_tools import protoc
    except ImportError:
        sys.exit("gen_stubs.py: grpc_tools is missing (Debian: apt-get install python3-grpc-tools)")
    scratch = tempfile.mkdtemp(prefix="ltsweep-stubs-")
    try:
        include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
        args = ["grpc_tools.protoc", "--proto_path=" + source_root, "--python_out=" + scratch,
                "--grpc_python_out=" + scratch]
        if os.path.isdir(include):
            args.append("--proto_path=" + include)
        if protoc.main(args + protos) != 0:
            sys.exit("gen_stubs.py: protoc failed on " + " ".join(protos))
        os.makedirs(out_dir, exist_ok=True)
        generated = os.path.join(scratch, "proto")
        for name in sorted(os.listdir(generated)):
            if not name.endswith(".py"):
                continue
            with open(os.path.join(generated, name), encoding="utf-8") as f:
                text = f.read()
            text = _IMPORT.sub(r"from . import \1 as \2", text)
            if re.search(r"^from proto import", text, re.MULTILINE):
                sys.exit("gen_stubs.py: an import of " + name + " was not rewritten")
            _write_if_changed(os.path.join(out_dir, name), text)
        _write_if_changed(os.path.join(out_dir, "__init__.py"),
                          '"""gRPC stubs generated from proto/*.proto at build time (not committed)."""\n')
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _write_if_changed(path, text):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-root", required=True, help="the repository root (protoc's --proto_path)")
    parser.add_argument("--out", required=True, help="the folder of the generated modules")
    parser.add_argument("protos", nargs="+", help="proto files relative to the source root")
    a = parser.parse_args()
    generate(a.source_root, a.out, a.protos)


if __name__ == "__main__":
    main()
