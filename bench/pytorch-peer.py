"""PyTorch CPU as a speed peer of wasmgrad's benchmarks, timed in its own process.

Reads one JSON request on stdin:
  {"timeMs": 1500, "gemm": [{"label", "m", "n", "k", "transA", "transB"}, ...],
   "train": {"layers": [784, 100, 10], "batch": 64, "optimizers": {"sgd": 0.01, "adam": 0.001}},
   "gpt": {"config": {...wasmgrad's GPTConfig}, "batch": 16, "tokens": 64, "lr": 0.001},
   "fit": {"layers", "activation", "optimizer", "lr", "batch", "epochs", "seed",
           "train": {"count", "images", "labels"}, "test": {...}}}
(a "fit" request's images and labels are raw uint8 files, one byte per pixel or label)
and prints one JSON document on stdout: PyTorch's version, the BLAS library it
loaded, the thread count, per GEMM shape the median and fastest ms per call of
torch.mm (and GFLOP/s from the median), and samples/s per optimizer (from the
median training step), and for "gpt" the tokens/s of training the reference GPT
(test/fixtures/gpt/reference_gpt.py, the module wasmgrad's GPT is checked
against) with AdamW, and for "fit" one result per epoch of training the MLP on the
given images as `wasmgrad train` does (samples/s of the training pass, test
evaluation excluded, then the test loss and accuracy). Timed as wasmgrad times itself: warm-up, then samples of
batched calls. One thread, as the single-core comparison wants (set before any
work; OPENBLAS_NUM_THREADS too), with subnormals flushed to zero where the CPU
can (torch.set_flush_denormal), as wasmgrad's optimizers flush theirs.

Run with Debian's PyTorch: /usr/bin/python3 bench/pytorch-peer.py < request.json
"""
import ctypes
import json
import math
import os
import statistics
import sys
import time


def unavailable(reason):
    print(json.dumps({"available": False, "reason": reason}))
    sys.exit(0)


# OpenBLAS picks its kernels once, as it loads, and its detection does not know every current CPU:
# Debian 12's OpenBLAS 0.3.21 takes an Intel Xeon of model 207 (Emerald Rapids) for a Prescott and
# runs SSE3 kernels there, 4-5x slower than its AVX-512 ones (torch.mm at 1024: 38 against 192
# GFLOP/s on one thread). So before PyTorch loads it, the peer asks OpenBLAS what it picked; when
# that is a kernel set older than the CPU's AVX2 or AVX-512, the peer starts itself again with
# OPENBLAS_CORETYPE naming the set the CPU's flags allow: PyTorch at its fastest. A coretype the
# caller set is left alone.
OLDER_THAN_AVX2 = {"Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn",
                   "Dunnington", "Nehalem", "Sandybridge", "Opteron", "Opteron(SSE3)", "Barcelona", "Nano", "Bobcat"}


def openblas_core(library):
    """The kernel set the OpenBLAS in `library` runs (openblas_get_corename), or None for another BLAS."""
    try:
        lib = ctypes.CDLL(library)
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return None


def core_for_cpu():
    """The newest OpenBLAS kernel set this CPU's flags (/proc/cpuinfo) allow, or None."""
    try:
        with open("/proc/cpuinfo") as info:
            flags = next((set(line.split(":", 1)[1].split()) for line in info if line.startswith("flags")), set())
    except OSError:
        return None
    avx512 = {"avx512f", "avx512bw", "avx512vl", "avx512dq"}
    if avx512 | {"avx512_bf16"} <= flags:
        return "Cooperlake"
    if avx512 <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


if "OPENBLAS_CORETYPE" not in os.environ:
    detected, best = openblas_core("libblas.so.3"), core_for_cpu()
    if detected in OLDER_THAN_AVX2 and best:
        os.execve(sys.executable, [sys.executable] + sys.argv,
                  {**os.environ, "OPENBLAS_CORETYPE": best, "WASMGRAD_OPENBLAS_DETECTED": detected})


try:
    import torch
    import torch.nn as nn
except Exception as e:  # noqa: BLE001 - any import failure means the peer is missing
    unavailable(f"PyTorch is not importable by {sys.executable}: {e}")

torch.set_num_threads(1)
# wasmgrad's optimizers flush subnormal state to zero; PyTorch does so only when asked. Its fastest
# setting, and like for like: on Intel cores a subnormal costs about 70x, and Adam's state decays
# into them where gradients are zero (its Fashion-MNIST epochs ran 80-83k samples/s unflushed on a
# Xeon, 86-98k flushed). False where the CPU has no such mode.
FLUSH_DENORMAL = torch.set_flush_denormal(True)


def blas_library():
    """The BLAS shared object this process mapped (Debian's torch uses whichever libblas.so.3 is installed)."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))  # make sure it is loaded
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.lower() and ".so" in line}
    real = sorted({os.path.realpath(p) for p in paths if p.startswith("/")})
    core, forced = None, None
    if any("openblas" in p for p in real):
        name = "OpenBLAS" + (" (pthread)" if any("pthread" in p for p in real) else "")
        core = next((c for c in map(openblas_core, real) if c), None)
        detected = os.environ.get("WASMGRAD_OPENBLAS_DETECTED")
        if detected:
            forced = f"OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']}: OpenBLAS picked {detected} on this CPU"
    elif any("/blas/" in p or p.endswith("libblas.so.3") for p in real):
        name = "reference BLAS (libblas3, about 10x slower)"
    else:
        name = "unknown"
    return {"name": name, "libraries": real, "core": core, "forced": forced}


SAMPLE_SECONDS = 0.25e-3  # shortest sample, as wasmgrad's timer (src/bench/timing.ts): a batch of calls
WARMUP_SECONDS = 0.2


def time_call(fn, time_ms, warmup=20):
    """Warm-up (at least `warmup` calls and WARMUP_SECONDS), then samples of `batch` calls each lasting
    at least SAMPLE_SECONDS for `time_ms`; returns the median and the fastest call (seconds)."""
    start = time.perf_counter()
    fastest = float("inf")
    calls = 0
    while calls < warmup or time.perf_counter() - start < WARMUP_SECONDS:
        t0 = time.perf_counter()
        fn()
        fastest = min(fastest, time.perf_counter() - t0)
        calls += 1
    batch = max(1, math.ceil(SAMPLE_SECONDS / max(fastest, 1e-9)))
    samples = []
    deadline = time.perf_counter() + time_ms / 1000
    while time.perf_counter() < deadline or len(samples) < 10:
        t0 = time.perf_counter()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter() - t0) / batch)
    return {"median": statistics.median(samples), "best": min(samples), "samples": len(samples), "batch": batch}


def time_gemm(shape, time_ms):
    m, n, k = shape["m"], shape["n"], shape["k"]
    g = torch.Generator().manual_seed(1)
    # Stored as the operands of C = op(A) op(B): A is k x m when transposed, B is n x k.
    a = torch.rand((k, m) if shape["transA"] else (m, k), generator=g) * 2 - 1
    b = torch.rand((n, k) if shape["transB"] else (k, n), generator=g) * 2 - 1
    op_a = a.t() if shape["transA"] else a
    op_b = b.t() if shape["transB"] else b
    # Operands resident, C written into a tensor allocated once: torch.mm's own cost, nothing copied.
    out = torch.empty(m, n)
    t = time_call(lambda: torch.mm(op_a, op_b, out=out), time_ms)
    return {"label": shape["label"], "ms": t["median"] * 1000, "minMs": t["best"] * 1000, "samples": t["samples"], "batch": t["batch"],
            "gflops": 2 * m * n * k / t["median"] / 1e9}


ACTIVATIONS = {
    "relu": nn.ReLU, "leaky-relu": nn.LeakyReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
    "gelu": nn.GELU, "gelu-tanh": lambda: nn.GELU(approximate="tanh"), "silu": nn.SiLU,
}


def make_optimizer(name, params, lr):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "sgd-momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr)
    raise ValueError(f"unknown optimizer {name}")


def mlp(sizes, activation):
    """Linear layers of `sizes` with `activation` between them, PyTorch's default initialisation."""
    layers = []
    for i in range(len(sizes) - 1):
        if i > 0:
            layers.append(ACTIVATIONS[activation]())
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
    return nn.Sequential(*layers)


def time_training(cfg, name, lr, time_ms):
    torch.manual_seed(1)
    sizes = cfg["layers"]
    model = mlp(sizes, "relu")
    opt = make_optimizer(name, model.parameters(), lr)
    loss_fn = nn.CrossEntropyLoss()
    batch = cfg["batch"]
    x = torch.rand(batch, sizes[0])
    y = torch.randint(0, sizes[-1], (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()

    t = time_call(step, time_ms, warmup=50)
    return {"optimizer": name, "samplesPerSecond": batch / t["median"], "msPerStep": t["median"] * 1000, "steps": t["samples"] * t["batch"]}


def time_gpt(cfg, time_ms):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "gpt"))
    from reference_gpt import GPT  # noqa: E402  (the repository's reference module)
    torch.manual_seed(1)
    model = GPT(cfg["config"])
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"])
    vocab, batch, tokens = cfg["config"]["vocab"], cfg["batch"], cfg["tokens"]
    x = torch.randint(0, vocab, (batch, tokens))
    y = torch.randint(0, vocab, (batch, tokens))

    def step():
        opt.zero_grad(set_to_none=True)
        model(x, y)[1].backward()
        opt.step()

    t = time_call(step, time_ms, warmup=10)
    return {"tokensPerSecond": batch * tokens / t["median"], "msPerStep": t["median"] * 1000, "steps": t["samples"] * t["batch"]}


def load_split(split, pixels):
    """A split as PyTorch's fastest input path at this size: one float tensor of pixel / 255 in memory."""
    def read(path):
        with open(path, "rb") as f:
            return torch.frombuffer(bytearray(f.read()), dtype=torch.uint8)
    x = read(split["images"]).reshape(split["count"], pixels).float().div_(255)
    y = read(split["labels"]).long()
    return x, y


def fit_mlp(cfg):
    """Trains as `wasmgrad train` does: epochs of shuffled batches (the last partial one included); the
    shuffle happens before the epoch's clock starts, batch gathering and the loss of every step inside it."""
    torch.manual_seed(cfg["seed"])
    sizes = cfg["layers"]
    model = mlp(sizes, cfg["activation"])
    opt = make_optimizer(cfg["optimizer"], model.parameters(), cfg["lr"])
    loss_fn = nn.CrossEntropyLoss()
    x, y = load_split(cfg["train"], sizes[0])
    tx, ty = load_split(cfg["test"], sizes[0])
    n, batch = x.shape[0], min(cfg["batch"], x.shape[0])
    shuffle = torch.Generator().manual_seed(cfg["seed"])
    epochs = []
    for epoch in range(1, cfg["epochs"] + 1):
        order = torch.randperm(n, generator=shuffle)
        start = time.perf_counter()
        loss_sum = 0.0
        for first in range(0, n, batch):
            rows = order[first:first + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[rows]), y[rows])
            loss.backward()
            opt.step()
            loss_sum += loss.item() * rows.shape[0]
        seconds = time.perf_counter() - start
        with torch.no_grad():
            logits = model(tx)
            test_loss = loss_fn(logits, ty).item()
            accuracy = (logits.argmax(1) == ty).float().mean().item()
        epochs.append({"epoch": epoch, "trainLoss": loss_sum / n, "testLoss": test_loss, "testAccuracy": accuracy,
                       "samplesPerSecond": n / seconds, "seconds": seconds})
    return {"epochs": epochs}


def main():
    request = json.load(sys.stdin)
    time_ms = request.get("timeMs", 1500)
    train = request.get("train")
    print(json.dumps({
        "available": True,
        "version": torch.__version__,
        "python": sys.executable,
        "threads": torch.get_num_threads(),
        "flushDenormal": FLUSH_DENORMAL,
        "blas": blas_library(),
        "gemm": [time_gemm(s, time_ms) for s in request.get("gemm", [])],
        "train": [time_training(train, n, lr, time_ms) for n, lr in train["optimizers"].items()] if train else [],
        "gpt": time_gpt(request["gpt"], time_ms) if request.get("gpt") else None,
        "fit": fit_mlp(request["fit"]) if request.get("fit") else None,
    }))


main()
