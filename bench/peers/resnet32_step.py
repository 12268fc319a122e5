#!/usr/bin/env python3
"""The training step of bench/gpu_check.sh in the machine's own PyTorch, as a
peer for ltsweep-train's images/s: ResNet-32 (the reference's CIFAR ResNet,
option-A shortcuts, cosine head), LDAM loss (max margin 0.5, scale 30), SGD
(momentum 0.9, weight decay 2e-4), batch 128, on CIFAR-10-LT with the data on
the device as uint8 and pad-4 crop + flip + normalise done there, as
ltsweep's device path does. Eager mode, fp32 (and bf16 autocast with --bf16).

Prints one line: "peer pytorch <version> <device> <precision>: <images/s> images/s
(<steps> steps after <warmup> warm-up, <seconds> s)".

Usage: resnet32_step.py --data DIR [--device cuda] [--steps 300] [--warmup 30]
                        [--bf16] [--channels-last] [--threads N]
  DIR: CIFAR-10 binary batches (data_batch_1..5.bin, plain). Without it
  (or --synthetic) random uint8 images of the same shape are used.
"""
import argparse
import math
import os
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("peer pytorch: skipped (this python has no torch)")
    sys.exit(0)

MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2023, 0.1994, 0.2010)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = cout // 4 if (stride != 1 or cin != cout) else 0

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        short = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad)) if self.pad else x
        return F.relu(out + short)


class ResNet32(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for b in range(5):
                layers.append(Block(cin, cout, stride if b == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.weight = nn.Parameter(torch.empty(64, classes).uniform_(-1, 1).renorm_(2, 1, 1e-5).mul_(1e5))

    def forward(self, x):
        out = self.layers(F.relu(self.bn1(self.conv1(x))))
        out = F.avg_pool2d(out, out.size(3)).flatten(1)
        return F.normalize(out, dim=1).mm(F.normalize(self.weight, dim=0))


def ldam_loss(logits, y, margins, s=30.0):
    m = margins[y].unsqueeze(1)
    onehot = F.one_hot(y, logits.size(1)).to(logits.dtype)
    return F.cross_entropy(s * (logits - onehot * m), y)


def load_lt(data, device):
    """CIFAR-10-LT (exp, ratio 100, seed 0) as uint8 [N,3,32,32] + labels."""
    import numpy as np
    recs = []
    for b in range(1, 6):
        with open(os.path.join(data, f"data_batch_{b}.bin"), "rb") as f:
            recs.append(np.frombuffer(f.read(), dtype=np.uint8).reshape(10000, 3073))
    recs = np.concatenate(recs)
    labels = recs[:, 0].astype(np.int64)
    rng = np.random.RandomState(0)
    kept = []
    for c in range(10):
        pos = np.flatnonzero(labels == c)
        ranks = np.arange(pos.size)
        rng.shuffle(ranks)
        kept.extend(pos[ranks[: int(5000 * math.pow(0.01, c / 9.0))]].tolist())
    x = torch.from_numpy(recs[kept, 1:].reshape(-1, 3, 32, 32).copy()).to(device)
    y = torch.from_numpy(labels[kept].copy()).to(device)
    return x, y


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    torch.manual_seed(0)
    if a.data:
        x_all, y_all = load_lt(a.data, dev)
    else:
        x_all = torch.randint(0, 256, (12406, 3, 32, 32), dtype=torch.uint8, device=dev)
        y_all = torch.randint(0, 10, (12406,), device=dev)
    counts = torch.bincount(y_all, minlength=10).double().clamp(min=1)
    margins = 1.0 / counts.sqrt().sqrt()
    margins = (margins * (0.5 / margins.max())).float()
    mean = torch.tensor(MEAN, device=dev).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=dev).view(1, 3, 1, 1)
    model = ResNet32().to(dev)
    mf = torch.channels_last if a.channels_last else torch.contiguous_format
    model = model.to(memory_format=mf)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=2e-4)
    padded = F.pad(x_all, (4, 4, 4, 4))  # uint8, zero padding
    n = x_all.size(0)
    ar = torch.arange(32, device=dev)

    def batch():
        idx = torch.randint(0, n, (a.batch,), device=dev)
        top = torch.randint(0, 9, (a.batch,), device=dev)
        left = torch.randint(0, 9, (a.batch,), device=dev)
        flip = torch.rand(a.batch, device=dev) < 0.5
        rows = (top[:, None] + ar[None, :])[:, None, :, None].expand(-1, 3, -1, 40)   # [B,3,32,40]
        cols = torch.where(flip[:, None], 31 - ar[None, :], ar[None, :]) + left[:, None]
        img = padded[idx].gather(2, rows).gather(3, cols[:, None, None, :].expand(-1, 3, 32, -1))
        x = ((img.float() / 255.0) - mean) / std
        return x.contiguous(memory_format=mf), y_all[idx]

    def step():
        x, y = batch()
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=a.bf16):
            logits = model(x)
        loss = ldam_loss(logits.float(), y, margins)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    model.train()
    for _ in range(a.warmup):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    float(loss)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    prec = "bf16" if a.bf16 else "fp32"
    layout = " channels_last" if a.channels_last else ""
    print(f"peer pytorch {torch.__version__} {dev} {prec}{layout}: {a.steps * a.batch / dt:.0f} images/s "
          f"({a.steps} steps after {a.warmup} warm-up, {dt:.2f} s, loss {float(loss):.3f})")


if __name__ == "__main__":
    main()
