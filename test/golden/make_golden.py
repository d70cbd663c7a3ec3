"""Write test/golden/golden.json: PyTorch reference values for wasmgrad's MLP training tests.

Run with Debian's PyTorch:  /usr/bin/python3 test/golden/make_golden.py
Deterministic: each case seeds its own generator, and the file is byte-identical across runs.
"""
import json
import os
import re

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)  # one thread: reductions always sum in the same order

# name, seed, layer widths, activation, loss, batch, bias of each Linear
CASES = [
    ("relu_ce_5_7_3", 1, [5, 7, 3], "relu", "cross_entropy", 4, None),
    ("leaky_relu_ce_7_13_5_3", 2, [7, 13, 5, 3], "leaky_relu", "cross_entropy", 5, None),
    ("sigmoid_ce_3_5_4_batch1", 3, [3, 5, 4], "sigmoid", "cross_entropy", 1, None),
    ("tanh_ce_13_7_5_3", 4, [13, 7, 5, 3], "tanh", "cross_entropy", 6, None),
    ("gelu_ce_5_13_3", 5, [5, 13, 3], "gelu", "cross_entropy", 7, None),
    ("gelu_tanh_ce_7_5_7_4", 6, [7, 5, 7, 4], "gelu_tanh", "cross_entropy", 3, None),
    ("tanh_mse_4_6_2", 7, [4, 6, 2], "tanh", "mse", 5, None),
    ("relu_nobias_ce_6_5_3", 8, [6, 5, 3], "relu", "cross_entropy", 9, [False, True]),
    ("silu_ce_6_9_5_3", 9, [6, 9, 5, 3], "silu", "cross_entropy", 5, None),
]

NEGATIVE_SLOPE = 0.1
KINK_MARGIN = 1e-3  # relu-like cases keep every pre-activation at least this far from 0

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(NEGATIVE_SLOPE),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": lambda: nn.GELU(approximate="none"),
    "gelu_tanh": lambda: nn.GELU(approximate="tanh"),
    "silu": nn.SiLU,
}

# label, constructor, options as recorded (PyTorch keyword names)
OPTIMIZERS = [
    ("sgd", torch.optim.SGD, dict(lr=0.1, momentum=0, dampening=0, nesterov=False, weight_decay=0)),
    ("sgd_momentum", torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=False, weight_decay=0.01)),
    ("sgd_nesterov", torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0, nesterov=True, weight_decay=0.001)),
    ("adam", torch.optim.Adam, dict(lr=0.01, betas=[0.9, 0.999], eps=1e-8, weight_decay=0.01)),
    ("adamw", torch.optim.AdamW, dict(lr=0.01, betas=[0.9, 0.999], eps=1e-8, weight_decay=0.1)),
]
STEPS = 3


def build_model(layers, activation, bias):
    modules = []
    for i in range(len(layers) - 1):
        if i > 0:
            modules.append(ACTIVATIONS[activation]())
        modules.append(nn.Linear(layers[i], layers[i + 1], bias=bias[i]))
    return nn.Sequential(*modules)


def loss_fn(kind, output, target):
    return F.cross_entropy(output, target) if kind == "cross_entropy" else F.mse_loss(output, target)


def min_abs_preactivation(model, x):
    """Smallest |input| seen by any activation module (a kink is where relu's gradient is ambiguous)."""
    smallest = float("inf")
    with torch.no_grad():
        for module in model:
            if not isinstance(module, nn.Linear):
                smallest = min(smallest, x.abs().min().item())
            x = module(x)
    return smallest


def tensors(named):
    """(name, tensor) pairs as the fixture records them: shape plus flat row-major float32 data."""
    return [{"name": n, "shape": list(t.shape), "data": t.detach().flatten().tolist()} for n, t in named]


def optimize(model, initial_state, x, target, loss_kind, label, make, options):
    """STEPS updates on one batch; returns the loss before each update and the final parameters."""
    model.load_state_dict(initial_state)
    kwargs = dict(options, betas=tuple(options["betas"])) if "betas" in options else options
    opt = make(model.parameters(), **kwargs)
    losses, margin = [], min_abs_preactivation(model, x)
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(loss_kind, model(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        margin = min(margin, min_abs_preactivation(model, x))
    entry = {"optimizer": make.__name__.lower(), "label": label, "options": options,
             "losses": losses, "params_after": tensors(model.named_parameters())}
    return entry, margin


def make_case(name, seed, layers, activation, loss_kind, batch, bias):
    torch.manual_seed(seed)
    bias = bias or [True] * (len(layers) - 1)
    model = build_model(layers, activation, bias)
    initial_state = {k: v.clone() for k, v in model.state_dict().items()}
    relu_like = activation in ("relu", "leaky_relu")

    # Draw batches until every pre-activation, in every forward pass of every run, clears the kink,
    # and (batch > 1) the labels are not all one class, which would hide a label-indexing bug.
    while True:
        x = torch.randn(batch, layers[0])
        if loss_kind == "cross_entropy":
            target = torch.randint(0, layers[-1], (batch,))
        else:
            target = torch.randn(batch, layers[-1])
        if loss_kind == "cross_entropy" and batch > 1 and target.unique().numel() == 1:
            continue
        runs = [optimize(model, initial_state, x, target, loss_kind, *o) for o in OPTIMIZERS]
        if not relu_like or min(margin for _, margin in runs) > KINK_MARGIN:
            break

    model.load_state_dict(initial_state)
    model.zero_grad()
    x_leaf = x.clone().requires_grad_()
    output = model(x_leaf)
    loss = loss_fn(loss_kind, output, target)
    loss.backward()

    case = {"name": name, "layers": layers, "activation": activation}
    if activation == "leaky_relu":
        case["negative_slope"] = NEGATIVE_SLOPE
    case.update({"loss": loss_kind, "batch": batch, "bias": bias, "input": x.flatten().tolist()})
    case["labels" if loss_kind == "cross_entropy" else "targets"] = target.flatten().tolist()
    case.update({
        "params": tensors(initial_state.items()),
        "output": output.detach().flatten().tolist(),
        "loss_value": loss.item(),
        "grads": tensors((n, p.grad) for n, p in model.named_parameters()),
        "input_grad": x_leaf.grad.flatten().tolist(),
        "optim": [entry for entry, _ in runs],
    })
    return case


def dump(fixture):
    """Indented JSON with each number array on one line: small, and diffs stay readable."""
    text = json.dumps(fixture, indent=1)
    return re.sub(r"\[[^\[\]{}\"]*\]", lambda m: re.sub(r"\s+", "", m.group(0)), text) + "\n"


def main():
    fixture = {
        "generator": "test/golden/make_golden.py",
        "torch_version": torch.__version__,
        "cases": [make_case(*c) for c in CASES],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json")
    with open(path, "w") as f:
        f.write(dump(fixture))
    print(f"wrote {path}: {len(fixture['cases'])} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
