#!/usr/bin/env python3
"""Writes the seed corpus of the checkpoint fuzzer (tests/fuzz/checkpoint_fuzz.cc).

The frame is trainer/core/checkpoint_file.h's: magic "LTSWCKPT", version,
reserved, payload length, payload CRC-32, header CRC-32 (little-endian), then
the payload. valid_*.pt are accepted; the others each carry one defect the
reader must name. Run from the repository root:
    python3 tests/fuzz/make_checkpoint_corpus.py
"""
import os
import struct
import zlib

OUT = os.path.join("tests", "fuzz", "corpus", "checkpoint")


def frame(payload, version=1):
    head = b"LTSWCKPT" + struct.pack("<IIQI", version, 0, len(payload), zlib.crc32(payload))
    return head + struct.pack("<I", zlib.crc32(head)) + payload


PAYLOAD = b"PK\x03\x04" + bytes(range(256)) * 2  # looks like the start of a torch (zip) archive
VALID = frame(PAYLOAD)
FLIPPED = bytearray(VALID)
FLIPPED[100] ^= 0x5A

FILES = {
    "valid_small.pt": VALID,
    "valid_empty_payload.pt": frame(b""),
    "short_header.pt": VALID[:20],
    "truncated_payload.pt": VALID[: len(VALID) // 2],
    "trailing_bytes.pt": VALID + b"\0" * 7,
    "bad_magic.pt": b"LTSWCKPX" + VALID[8:],
    "future_version.pt": frame(PAYLOAD, version=2),
    "payload_checksum.pt": bytes(FLIPPED),
    "header_checksum.pt": VALID[:16] + struct.pack("<Q", 1 << 62) + VALID[24:],
    "garbage.pt": b"x" * 64,
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in FILES.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
