#!/usr/bin/python3
"""Writes tests/fixtures/optim/*.json: golden optimizer trajectories from PyTorch.

Run with Debian's python3-torch (1.13): `/usr/bin/python3 tools/gen_optim_fixtures.py`. The files are
committed; the C++ tests (tests/optim/*_test.cpp) read only them, so CI needs no torch.

model.json holds a small float64 MLP (3 -> 5 -> 2, tanh) as plain tensors, a fixed input and target.
The objective is mse(y, t) = ((y - t) ** 2).mean() with y = tanh(x @ W1.T + b1) @ W2.T + b2, or its
negation ("neg_mse") for the maximize configurations, so that gradient ascent converges too and a
maximize flag that were ignored would diverge instead.

<optimizer>.json holds one entry per configuration: its parameter groups (parameter names and the
group's own options, or null for "use the defaults"), the optimizer's default options, and the
parameters after steps 1, 10, 100 and 1000, plus the objective at the final parameters. Every step
is zero_grad(set_to_none=True), backward of the objective, step(), with foreach=False so that
PyTorch runs its single-tensor (for-loop) algorithm, which the C++ optimizers follow.
Floats are written as Python's repr, which parses back bit-exactly.

Before writing, each configuration is rerun with every gradient perturbed by ~2 ulp; the generator
refuses configurations whose final parameters then move by more than 1% of the C++ test's tolerance,
since there a correct implementation that rounds differently (another matmul summation order, FMA)
could fail. Adam and RMSprop at large learning rates settle into chaotic oscillation, hence the
small learning rates below.
"""
import json
import os

import torch

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "optim")
PARAM_ORDER = ["W1", "b1", "W2", "b2"]
SNAPSHOTS = [1, 10, 100, 1000]
STEPS = SNAPSHOTS[-1]


def tensor_json(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def make_model():
    g = torch.Generator().manual_seed(20240601)
    def randn(*shape, scale=1.0):
        return torch.randn(*shape, generator=g, dtype=torch.float64) * scale
    params = {"W1": randn(5, 3, scale=0.5), "b1": randn(5, scale=0.1),
              "W2": randn(2, 5, scale=0.5), "b2": randn(2, scale=0.1)}
    x = randn(20, 3)
    target = randn(20, 2, scale=0.5)
    return params, x, target


def objective(params, x, target, kind):
    h = torch.tanh(x @ params["W1"].t() + params["b1"])
    y = h @ params["W2"].t() + params["b2"]
    loss = ((y - target) ** 2).mean()
    return -loss if kind == "neg_mse" else loss


def torch_options(name, options):
    """Our option names are PyTorch's; betas travel as a list."""
    out = dict(options)
    if "betas" in out:
        out["betas"] = tuple(out["betas"])
    return out


OPTIMIZERS = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW,
              "RMSprop": torch.optim.RMSprop}
# PyTorch's SGD has no default lr; ours is 1e-3, and the defaults entry always gives one.
CONFIGS = {
    "sgd": [
        dict(name="plain", defaults=dict(lr=0.1)),
        dict(name="momentum", defaults=dict(lr=0.05, momentum=0.9)),
        dict(name="dampening", defaults=dict(lr=0.05, momentum=0.9, dampening=0.3)),
        dict(name="nesterov", defaults=dict(lr=0.05, momentum=0.9, nesterov=True)),
        dict(name="weight_decay", defaults=dict(lr=0.05, momentum=0.5, weight_decay=0.01)),
        dict(name="maximize", defaults=dict(lr=0.05, momentum=0.9, weight_decay=0.01, maximize=True),
             objective="neg_mse"),
        dict(name="two_groups", defaults=dict(lr=0.02, momentum=0.5),
             groups=[dict(params=["W1", "b1"], options=dict(lr=0.1, momentum=0.9, nesterov=True)),
                     dict(params=["W2", "b2"], options=None)]),
    ],
    "adam": [
        dict(name="default", defaults=dict()),
        dict(name="amsgrad", defaults=dict(lr=0.01, amsgrad=True)),
        dict(name="weight_decay", defaults=dict(lr=0.001, betas=[0.8, 0.99], eps=1e-6, weight_decay=0.05)),
        dict(name="maximize", defaults=dict(lr=0.005, amsgrad=True, maximize=True), objective="neg_mse"),
        dict(name="two_groups", defaults=dict(lr=0.003),
             groups=[dict(params=["W2"], options=dict(lr=0.02, betas=[0.5, 0.9], amsgrad=True)),
                     dict(params=["b2", "W1", "b1"], options=None)]),
    ],
    "adamw": [
        dict(name="default", defaults=dict()),
        dict(name="amsgrad", defaults=dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
        dict(name="maximize", defaults=dict(lr=0.003, maximize=True), objective="neg_mse"),
    ],
    "rmsprop": [
        dict(name="plain", defaults=dict(lr=0.0003)),
        dict(name="centered", defaults=dict(lr=0.0003, centered=True)),
        dict(name="momentum", defaults=dict(lr=0.0002, momentum=0.9, alpha=0.9, eps=1e-3)),
        dict(name="weight_decay", defaults=dict(lr=0.0003, weight_decay=0.05, eps=1e-4)),
        dict(name="centered_momentum_maximize",
             defaults=dict(lr=0.0005, momentum=0.5, centered=True, maximize=True), objective="neg_mse"),
    ],
}
CLASS_OF = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}


def run(file_key, config, init, x, target, jitter=None):
    """Runs one configuration; `jitter` (a generator) perturbs every gradient by ~2 ulp."""
    params = {k: v.clone().requires_grad_() for k, v in init.items()}
    groups = config.get("groups") or [dict(params=PARAM_ORDER, options=None)]
    torch_groups = [dict(params=[params[n] for n in g["params"]], **torch_options(None, g["options"] or {}))
                    for g in groups]
    cls = OPTIMIZERS[CLASS_OF[file_key]]
    opt = cls(torch_groups, foreach=False, **torch_options(None, config["defaults"]))
    kind = config.get("objective", "mse")
    snapshots = {}
    for step in range(1, STEPS + 1):
        opt.zero_grad(set_to_none=True)
        objective(params, x, target, kind).backward()
        if jitter is not None:
            for p in params.values():
                p.grad.mul_(1 + 2e-16 * torch.randn(p.shape, generator=jitter))
        opt.step()
        if step in SNAPSHOTS:
            snapshots[str(step)] = {n: tensor_json(params[n]) for n in PARAM_ORDER}
    with torch.no_grad():
        final = float(objective(params, x, target, kind))
    return {"name": config["name"], "objective": kind, "defaults": config["defaults"], "groups": groups,
            "snapshots": snapshots, "final_objective": final}


def check_stable(file_key, config, entry, init, x, target):
    """A C++ implementation differs from PyTorch by rounding (another summation order in matmul, FMA);
    the golden test's 1e-9 tolerance is only meaningful where a trajectory does not amplify such
    differences. Rerun with gradients perturbed by ~2 ulp and require a 100x margin."""
    other = run(file_key, config, init, x, target, jitter=torch.Generator().manual_seed(7))
    worst = 0.0
    for name in PARAM_ORDER:
        a = torch.tensor(entry["snapshots"][str(STEPS)][name]["data"])
        b = torch.tensor(other["snapshots"][str(STEPS)][name]["data"])
        worst = max(worst, float(((a - b).abs() / (1e-12 + 1e-9 * a.abs())).max()))
    return worst


def main():
    torch.set_default_dtype(torch.float64)
    os.makedirs(OUT_DIR, exist_ok=True)
    init, x, target = make_model()
    with open(os.path.join(OUT_DIR, "model.json"), "w") as f:
        json.dump({"param_order": PARAM_ORDER, "params": {n: tensor_json(init[n]) for n in PARAM_ORDER},
                   "x": tensor_json(x), "target": tensor_json(target),
                   "initial_mse": float(objective(init, x, target, "mse"))}, f)
    unstable = []
    for key, configs in CONFIGS.items():
        entries = [run(key, c, init, x, target) for c in configs]
        margins = [check_stable(key, c, e, init, x, target) for c, e in zip(configs, entries)]
        with open(os.path.join(OUT_DIR, key + ".json"), "w") as f:
            json.dump({"optimizer": CLASS_OF[key], "steps": SNAPSHOTS, "configs": entries}, f)
        for e, m in zip(entries, margins):
            print(f"{CLASS_OF[key]:8s} {e['name']:28s} final objective {e['final_objective']:.6g}"
                  f"  (noise uses {m:.1e} of the tolerance)")
            if m > 0.01:
                unstable.append(f"{CLASS_OF[key]} {e['name']}")
    if unstable:
        raise SystemExit("2-ulp gradient noise moves the final parameters by more than 1% of the test "
                         "tolerance in: " + ", ".join(unstable) + "; choose gentler hyperparameters")


if __name__ == "__main__":
    main()
