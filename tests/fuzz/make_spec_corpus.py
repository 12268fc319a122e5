#!/usr/bin/env python3
"""Writes the seed corpus of the spec fuzzer (tests/fuzz/spec_fuzz.cc).

hostile_*.yaml are the hostile inputs of issue 12, which ParseSweepSpec must
refuse (tests/spec/hostile_spec_test.cc checks that it does); the others are
small valid specs to start mutating from. Run from the repository root:
    python3 tests/fuzz/make_spec_corpus.py
"""
import os

OUT = os.path.join("tests", "fuzz", "corpus", "spec")


def alias_bomb():
    s = 'parameters:\n  lol:\n    values: [&a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'
    for level in "bcdefghi":
        prev = chr(ord(level) - 1)
        s += ",\n      &%s [%s]" % (level, ", ".join("*" + prev for _ in range(9)))
    return s + "]\n"


def many_seeds(n):
    # 400,000 seeds are 2.7 MB: the committed file has just past the limit
    # of 10,000; the test generates the full one.
    return "seeds: [%s]\nparameters:\n  train.lr: {value: 0.1}\n" % ", ".join(str(i) for i in range(n))


FILES = {
    "hostile_alias_bomb.yaml": alias_bomb().encode(),
    "hostile_long_integer.yaml": ("seed: " + "7" * 30000 + "\n").encode(),
    "hostile_many_seeds.yaml": many_seeds(10001).encode(),
    "hostile_deep_flow.yaml": ("config: " + "[" * 10000 + "]" * 10000 + "\n").encode(),
    "hostile_deep_dashes.yaml": ("seeds:\n" + "- " * 10000 + "1\n").encode(),
    "hostile_latin1.yaml": "name: demo\ndescription: café au lait\n".encode("latin-1"),
    "hostile_nul_byte.yaml": b"name: de\x00mo\n",
    "valid_grid.yaml": b"""name: grid
method: grid
config:
  data: {dataset: synthetic}
  train: {epochs: 2}
seeds: [0, 1]
parameters:
  train.lr: {values: [0.1, 0.01]}
  loss_preset:
    values:
      - {method.loss: ldam}
      - {method.loss: ce}
""",
    "valid_random.yaml": b"""method: random
run_cap: 4
seed: 7
metric: {name: val_error, goal: minimize}
parameters:
  train.lr: {distribution: log_uniform_values, min: 1e-4, max: 0.1}
  train.batch_size: {values: [32, 64]}
early_terminate: {type: hyperband, min_iter: 2}
""",
}

os.makedirs(OUT, exist_ok=True)
for name, data in FILES.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
