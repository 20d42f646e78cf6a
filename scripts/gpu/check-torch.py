"""The PyTorch (CUDA) half of the device check: the same network, batch size and optimizer as
scripts/gpu/check.ts, timed the same way, and the comparison of the two.

    python3 scripts/gpu/check-torch.py --results results.json [--batches 100] [--repeats 3]

`results.json` is what check.ts wrote: the network's spec (the core's layer list), the batch
size and the WebGPU figures. Training is SGD with momentum 0.9 on softmax cross-entropy, inputs
copied from the host every batch, as the core's Trainer does. Timed twice: in strict float32 (the
fair comparison: WGSL computes in float32) and with PyTorch's defaults (TF32 convolutions).
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


def build(spec):
    """torch.nn.Sequential from the core's NetworkSpec (its output softmax is fused into the loss)."""
    shape = list(spec["input"])
    layers = []
    specs = spec["layers"]
    for i, l in enumerate(specs):
        t = l["type"]
        if t == "dense":
            layers.append(nn.Linear(shape[0], l["units"]))
            shape = [l["units"]]
        elif t == "conv2d":
            k, s = l["kernel"], l.get("stride", 1)
            pad = (k - 1) // 2 if l.get("padding", 0) == "same" else l.get("padding", 0)
            layers.append(nn.Conv2d(shape[0], l["filters"], k, stride=s, padding=pad))
            shape = [l["filters"], (shape[1] + 2 * pad - k) // s + 1, (shape[2] + 2 * pad - k) // s + 1]
        elif t in ("maxpool", "avgpool"):
            k, s = l["size"], l.get("stride", l["size"])
            layers.append((nn.MaxPool2d if t == "maxpool" else nn.AvgPool2d)(k, stride=s))
            shape = [shape[0], (shape[1] - k) // s + 1, (shape[2] - k) // s + 1]
        elif t == "flatten":
            layers.append(nn.Flatten())
            n = 1
            for d in shape:
                n *= d
            shape = [n]
        elif t == "batchnorm":
            bn = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
            layers.append(bn(shape[0], eps=l.get("eps", 1e-5), momentum=l.get("momentum", 0.1)))
        elif t == "dropout":
            layers.append(nn.Dropout(l["rate"]))
        elif t == "activation":
            fn = l["fn"]
            if fn == "softmax" and i == len(specs) - 1:
                continue  # CrossEntropyLoss takes the logits, as the core's fused loss does
            layers.append({"relu": nn.ReLU(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "linear": nn.Identity(), "softmax": nn.Softmax(-1)}[fn])
        else:
            raise ValueError(f"layer type {t} has no PyTorch counterpart here")
    return nn.Sequential(*layers)


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def throughput(spec, batch, batches, repeats, dev, warmup=3):
    model = build(spec).to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    k = model(torch.zeros([2] + list(spec["input"]), device=dev)).shape[1]
    gen = torch.Generator().manual_seed(1)
    data = [(torch.rand([batch] + list(spec["input"]), generator=gen), torch.randint(0, k, (batch,), generator=gen)) for _ in range(3)]

    def step(b):
        x, t = data[b % 3]
        x, t = x.to(dev), t.to(dev)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), t)
        loss.backward()
        opt.step()
        return loss

    for b in range(warmup):
        step(b)
    sync(dev)
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for b in range(batches):
            loss = step(b)
        loss.item()  # the loss comes back once per run, as the core's drain()
        sync(dev)
        runs.append(batches * batch / (time.perf_counter() - t0))
    return statistics.median(runs), runs


def matmul_rate(dev, n=4096, reps=20):
    a = torch.rand(n, n, device=dev) - 0.5
    b = torch.rand(n, n, device=dev) - 0.5
    a @ b
    sync(dev)
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    sync(dev)
    return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--batches", type=int)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cuda", help="cpu only to try the script where there is no GPU")
    a = ap.parse_args()
    dev = torch.device(a.device)
    with open(a.results) as f:
        r = json.load(f)
    batch = r["batch"]
    batches = a.batches or r["batches"]
    print(f"PyTorch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
    gpu = torch.cuda.get_device_name(0) if dev.type == "cuda" else "none (cpu)"
    print(f"GPU: {gpu}")

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    strict, strict_runs = throughput(r["spec"], batch, batches, a.repeats, dev)
    fp32_gemm = matmul_rate(dev, 4096 if dev.type == "cuda" else 512)
    torch.backends.cudnn.allow_tf32 = True  # PyTorch's default for convolutions
    default, default_runs = throughput(r["spec"], batch, batches, a.repeats, dev)

    webgpu = r["examplesPerSecond"]
    print()
    print(f"== {r['arch']}, batch {batch}, {batches} batches x {a.repeats}, SGD with momentum ==")
    print(f"  WebGPU (Dawn, {r['adapter']}): {webgpu:10.0f} examples/s")
    print(f"  PyTorch CUDA, strict float32:  {strict:10.0f} examples/s (runs {', '.join(f'{v:.0f}' for v in strict_runs)})")
    print(f"  PyTorch CUDA, default (TF32 convolutions): {default:10.0f} examples/s (runs {', '.join(f'{v:.0f}' for v in default_runs)})")
    print(f"  ratio WebGPU / PyTorch float32: {webgpu / strict:.3f}")
    print(f"  ratio WebGPU / PyTorch default: {webgpu / default:.3f}")
    webgpu_gemm = [f"{k['kernel']}: {k['rate']}" for k in r["kernels"] if k["kernel"].startswith("matmul 4096")]
    print(f"  float32 matmul 4096^3: PyTorch {fp32_gemm:.0f} GFLOP/s; WebGPU {'; '.join(webgpu_gemm) or 'not measured'}")
    agreement = r.get("agreement", {})
    print(f"  WebGPU kernels agree with the CPU backend on this GPU: {'yes' if agreement.get('agree') else 'NO'}")
    r["pytorch"] = {
        "gpu": gpu, "version": torch.__version__,
        "examplesPerSecondFloat32": strict, "examplesPerSecondDefault": default, "matmulGflops": fp32_gemm,
    }
    with open(a.results, "w") as f:
        json.dump(r, f, indent=2)


if __name__ == "__main__":
    main()
