"""PyTorch baseline for `npm run bench -- train-cpu` (run by torch.ts, never installed by it;
speaks the line protocol of line-process.ts).

  sgemm THREADS            -> prints {"gflops": best single-precision GEMM rate, "threads": n}
  train DATA N LR THREADS  -> on THREADS torch threads (OpenBLAS on one: see torch.ts), trains 784-800-10 sigmoid + softmax cross-entropy, SGD momentum 0.9,
                              batch 64, on N images from DATA.x (float32 N x 784) and DATA.y (uint8);
                              prints {"ready": ...}, then for each stdin line {"batches": k} runs
                              k more batches (cycling through the data) and prints {"seconds": s}.
"""
import json
import sys
import time

import numpy as np
import torch


def say(obj):
    print(json.dumps(obj), flush=True)


def sgemm(threads):
    torch.set_num_threads(threads)
    best = 0.0
    for n in (512, 1024, 2048):
        a, b, c = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
        for _ in range(3):
            torch.mm(a, b, out=c)
        reps = max(3, int(4e9 / (2 * n ** 3)))
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b, out=c)
        best = max(best, 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e9)
    say({"gflops": best, "threads": torch.get_num_threads()})


def train(path, n, lr, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x = torch.from_numpy(np.fromfile(path + ".x", dtype=np.float32).reshape(n, 784))
    y = torch.from_numpy(np.fromfile(path + ".y", dtype=np.uint8).astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(784, 800), torch.nn.Sigmoid(), torch.nn.Linear(800, 10))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    batches = n // 64
    xs = [x[i * 64:(i + 1) * 64] for i in range(batches)]
    ys = [y[i * 64:(i + 1) * 64] for i in range(batches)]
    at = 0
    say({"ready": True, "version": torch.__version__, "threads": torch.get_num_threads()})
    for line in sys.stdin:
        k = json.loads(line)["batches"]
        t0 = time.perf_counter()
        for _ in range(k):
            opt.zero_grad()
            loss = loss_fn(model(xs[at]), ys[at])
            loss.backward()
            opt.step()
            at = (at + 1) % batches
        say({"seconds": time.perf_counter() - t0})


if __name__ == "__main__":
    if sys.argv[1] == "sgemm":
        sgemm(int(sys.argv[2]))
    else:
        train(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
