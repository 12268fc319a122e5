#!/usr/bin/python3
"""Writes the CIFAR-10-LT data that bench/gpu_check.sh needs, small enough to
carry to a GPU machine (the device tool carries at most 64 MiB; CIFAR-10 is
~142 MB as xz).

The output is a CIFAR-10 binary folder the trainer reads unchanged
(data_batch_1..5.bin.xz, test_batch.bin.xz, batches.meta.txt): every record
and label is kept, but the pixels of the training images that the default
long tail (data.imbalance exp, ratio 100, seed 0) leaves out are zeroed, so
they compress to almost nothing. The kept images are chosen exactly as the
trainer chooses them (trainer/core/imbalance.h: one numpy RandomState(seed)
stream shuffling each class's within-class ranks in label order, the first
n_c kept), so a trial with those imbalance settings trains on the real
12,406 images and evaluates on the full 10,000-image test set.
--ratio / --seed must match the trial's data.imbalance.{ratio, seed}.

Usage: bench/gpu_carry_data.py SRC_DIR OUT_DIR [--ratio 100] [--seed 0]
  SRC_DIR: CIFAR-10 binary batches (.bin or .bin.xz), e.g. ../shared/data/cifar10
Needs Debian's python3 with numpy (python3-numpy).
"""
import argparse
import lzma
import math
import os
import shutil
import sys

import numpy as np

RECORD = 1 + 3072
TRAIN = [f"data_batch_{b}.bin" for b in range(1, 6)]


def read(src, name):
    for path, opener in ((os.path.join(src, name), open), (os.path.join(src, name + ".xz"), lzma.open)):
        if os.path.exists(path):
            with opener(path, "rb") as f:
                data = np.frombuffer(f.read(), dtype=np.uint8)
            if data.size != 10000 * RECORD:
                sys.exit(f"{path}: {data.size} bytes, expected {10000 * RECORD}")
            return data.reshape(10000, RECORD).copy()
    sys.exit(f"{src}: neither {name} nor {name}.xz")


def kept_positions(labels, ratio, seed, classes=10):
    img_max = labels.size / classes
    counts = [int(img_max * math.pow(1.0 / ratio, i / (classes - 1.0))) for i in range(classes)]
    rng = np.random.RandomState(seed)
    kept = []
    for c in range(classes):
        positions = np.flatnonzero(labels == c)
        ranks = np.arange(positions.size)
        rng.shuffle(ranks)
        kept.extend(positions[ranks[: counts[c]]].tolist())
    return kept, counts


def write_xz(path, records):
    with lzma.open(path + ".tmp", "wb", preset=6) as f:
        f.write(records.tobytes())
    os.replace(path + ".tmp", path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("src")
    p.add_argument("out")
    p.add_argument("--ratio", type=float, default=100.0)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    train = np.concatenate([read(a.src, n) for n in TRAIN])
    kept, counts = kept_positions(train[:, 0], a.ratio, a.seed)
    mask = np.ones(train.shape[0], dtype=bool)
    mask[kept] = False
    train[mask, 1:] = 0
    for b, name in enumerate(TRAIN):
        write_xz(os.path.join(a.out, name + ".xz"), train[b * 10000:(b + 1) * 10000])
    test_xz = os.path.join(a.src, "test_batch.bin.xz")
    if os.path.exists(test_xz):  # the whole test set, as it is
        read(a.src, "test_batch.bin")  # checks its size
        shutil.copyfile(test_xz, os.path.join(a.out, "test_batch.bin.xz"))
    else:
        write_xz(os.path.join(a.out, "test_batch.bin.xz"), read(a.src, "test_batch.bin"))
    meta = os.path.join(a.src, "batches.meta.txt")
    if os.path.exists(meta):
        with open(meta, "rb") as f, open(os.path.join(a.out, "batches.meta.txt"), "wb") as g:
            g.write(f.read())
    size = sum(os.path.getsize(os.path.join(a.out, n)) for n in os.listdir(a.out))
    print(f"{a.out}: CIFAR-10-LT (exp, ratio {a.ratio:g}, seed {a.seed}): {len(kept)} training images kept "
          f"{counts}, 10000 test images; {size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
