"""PyTorch as a contender of `npm run bench -- train-cpu`, run by the bench in a process of its own
(torch.ts; never installed by it). Prints one JSON line.

  sgemm THREADS QUICK          -> {"gflops": [best single-precision GEMM rate per repeat], "threads": n}
  train DATA EXAMPLES LR THREADS
      on THREADS torch threads (OpenBLAS on one: see torch.ts) trains 784-800-10, sigmoid, softmax
      cross-entropy, SGD with momentum 0.9, batch 64: a warm-up of 30 batches, then one timed
      shuffled pass over the first EXAMPLES images of DATA.x (float32 n x 784) and DATA.y (uint8),
      the last partial batch dropped -> {"seconds", "examples", "version", "threads"}
"""
import json
import sys
import time

import numpy as np
import torch

BATCH = 64


def say(obj):
    print(json.dumps(obj), flush=True)


def sgemm(threads, quick):
    torch.set_num_threads(threads)
    rates = []
    for _ in range(3):
        best = 0.0
        for n in ((512,) if quick else (512, 1024, 2048)):
            a, b, c = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
            for _ in range(3):
                torch.mm(a, b, out=c)
            reps = max(3, int((4e8 if quick else 4e9) / (2 * n ** 3)))
            t0 = time.perf_counter()
            for _ in range(reps):
                torch.mm(a, b, out=c)
            best = max(best, 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e9)
        rates.append(best)
    say({"gflops": rates, "threads": torch.get_num_threads()})


def train(path, examples, lr, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    n = examples // BATCH * BATCH
    m = max(n, 30 * BATCH)
    x = torch.from_numpy(np.fromfile(path + ".x", dtype=np.float32, count=m * 784).reshape(m, 784))
    y = torch.from_numpy(np.fromfile(path + ".y", dtype=np.uint8, count=m).astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(784, 800), torch.nn.Sigmoid(), torch.nn.Linear(800, 10))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(count, seed):
        order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
        loss = None
        for i in range(count // BATCH):
            idx = order[i * BATCH:(i + 1) * BATCH]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        return loss.item()

    epoch(30 * BATCH, 2)
    t0 = time.perf_counter()
    loss = epoch(n, 1)
    seconds = time.perf_counter() - t0
    if not np.isfinite(loss):
        raise SystemExit("training diverged")
    say({"seconds": seconds, "examples": n, "version": torch.__version__, "threads": torch.get_num_threads()})


if __name__ == "__main__":
    if sys.argv[1] == "sgemm":
        sgemm(int(sys.argv[2]), sys.argv[3] == "1")
    else:
        train(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
