#!/usr/bin/python3
"""Writes tests/fixtures/optim/sched_lr.json and clip_grad.json: PyTorch's learning-rate schedules and
gradient clipping, for tests/optim/lr_scheduler_test.cpp and tests/nn/clip_grad_test.cpp.

Run with Debian's python3-torch (1.13): `/usr/bin/python3 tools/gen_sched_fixtures.py`.

sched_lr.json: each case builds an optimizer ("sgd", "rmsprop", "adam" or "adamw") with one parameter group per entry of
"group_lrs" (SGD with momentum "momentum"), then the schedulers of "schedulers" in order (a config
is {"type": name, ...PyTorch's keyword arguments}; SequentialLR's "schedulers" are configs too), and
calls step() on each of them "steps" times. "lrs"[k] holds every group's rate after k steps (k = 0:
right after construction), "momentum"[k] each group's momentum (Adam: beta1), and "error_step" the
step() call that PyTorch refuses (OneCycleLR past total_steps), or null. Floats are Python's repr,
which parses back to the same double.

clip_grad.json: each case holds "grads" (tensor_json; null for a parameter without a gradient), the
call's arguments, the "total_norm" it returned and the gradients after it ("clipped").
"""
import json
import math
import os
import sys
import warnings

import torch
from torch.optim import lr_scheduler as S

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import tensor_json  # noqa: E402  (shared float formatting)

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "optim")


def make_scheduler(opt, cfg):
    kw = {k: v for k, v in cfg.items() if k != "type"}
    if cfg["type"] == "SequentialLR":
        kw["schedulers"] = [make_scheduler(opt, c) for c in cfg["schedulers"]]
    return getattr(S, cfg["type"])(opt, **kw)


def momenta(opt, kind):
    return [g["betas"][0] if kind in ("adam", "adamw") else g["momentum"] for g in opt.param_groups]


def sched_case(name, schedulers, steps=30, kind="sgd", group_lrs=(0.1, 0.01), momentum=0.9):
    params = [torch.zeros(2, requires_grad=True) for _ in group_lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, group_lrs)]
    if kind == "sgd":
        opt = torch.optim.SGD(groups, lr=0.5, momentum=momentum)
    elif kind == "rmsprop":
        opt = torch.optim.RMSprop(groups, momentum=momentum)
    else:
        opt = (torch.optim.Adam if kind == "adam" else torch.optim.AdamW)(groups)
    made = [make_scheduler(opt, c) for c in schedulers]
    lrs = [[g["lr"] for g in opt.param_groups]]
    moms = [momenta(opt, kind)]
    error_step = None
    for k in range(1, steps + 1):
        try:
            for s in made:
                s.step()
        except ValueError as e:
            assert "Tried to step" in str(e), e
            error_step = k
            break
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append(momenta(opt, kind))
    assert made[-1].get_last_lr() == lrs[-1] or error_step
    return {"name": name, "optimizer": kind, "group_lrs": list(group_lrs), "momentum_option": momentum,
            "schedulers": schedulers, "steps": steps, "lrs": lrs, "momentum": moms, "error_step": error_step,
            "last_epoch": made[-1].last_epoch}


def sched_cases():
    linear_warmup = {"type": "LinearLR", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 5}
    return [
        sched_case("step", [{"type": "StepLR", "step_size": 3, "gamma": 0.5}]),
        sched_case("step_default_gamma", [{"type": "StepLR", "step_size": 7}]),
        sched_case("multistep", [{"type": "MultiStepLR", "milestones": [2, 5, 9, 20], "gamma": 0.3}]),
        sched_case("exponential", [{"type": "ExponentialLR", "gamma": 0.9}]),
        sched_case("cosine_eta_min", [{"type": "CosineAnnealingLR", "T_max": 10, "eta_min": 0.001}], steps=45),
        sched_case("cosine_default", [{"type": "CosineAnnealingLR", "T_max": 7}]),
        sched_case("linear_default", [{"type": "LinearLR"}]),
        sched_case("linear_decay", [{"type": "LinearLR", "start_factor": 1.0, "end_factor": 0.25,
                                     "total_iters": 8}]),
        sched_case("linear_warmup", [linear_warmup]),
        sched_case("onecycle_cos", [{"type": "OneCycleLR", "max_lr": 1.0, "total_steps": 30}]),
        sched_case("onecycle_overstep", [{"type": "OneCycleLR", "max_lr": 1.0, "total_steps": 20}], steps=25),
        sched_case("onecycle_linear_three_phase_adam",
                   [{"type": "OneCycleLR", "max_lr": [0.5, 0.05], "total_steps": 30, "anneal_strategy": "linear",
                     "three_phase": True, "pct_start": 0.25}], kind="adam"),
        sched_case("onecycle_epochs_no_momentum",
                   [{"type": "OneCycleLR", "max_lr": 0.3, "epochs": 3, "steps_per_epoch": 10,
                     "cycle_momentum": False, "div_factor": 10.0, "final_div_factor": 100.0, "pct_start": 0.4}]),
        sched_case("onecycle_momentum_bounds",
                   [{"type": "OneCycleLR", "max_lr": 0.2, "total_steps": 30, "base_momentum": 0.8,
                     "max_momentum": 0.9}], momentum=0.0),
        sched_case("onecycle_rmsprop", [{"type": "OneCycleLR", "max_lr": 0.05, "total_steps": 30}], kind="rmsprop"),
        sched_case("onecycle_adamw_linear", [{"type": "OneCycleLR", "max_lr": 0.01, "total_steps": 30,
                                              "anneal_strategy": "linear"}], kind="adamw"),
        sched_case("sequential_warmup_exponential",
                   [{"type": "SequentialLR", "schedulers": [linear_warmup, {"type": "ExponentialLR", "gamma": 0.9}],
                     "milestones": [5]}]),
        sched_case("sequential_three",
                   [{"type": "SequentialLR",
                     "schedulers": [{"type": "StepLR", "step_size": 3, "gamma": 0.5},
                                    {"type": "CosineAnnealingLR", "T_max": 8, "eta_min": 0.0005},
                                    {"type": "MultiStepLR", "milestones": [3, 6], "gamma": 0.2}],
                     "milestones": [6, 15]}]),
        sched_case("chained_step_exponential", [{"type": "StepLR", "step_size": 4, "gamma": 0.5},
                                                {"type": "ExponentialLR", "gamma": 0.95}]),
    ]


def clip_case(name, shapes, fn, dtype=torch.float32, scale=1.0, **kw):
    grads = []
    for shape in shapes:
        grads.append(None if shape is None else (torch.randn(shape, dtype=dtype) * scale))
    params = []
    for g, shape in zip(grads, shapes):
        p = torch.zeros(shape if shape is not None else (2,), dtype=dtype, requires_grad=True)
        if g is not None:
            p.grad = g.clone()
        params.append(p)
    out = getattr(torch.nn.utils, fn)(params, **kw)
    case = {"name": name, "fn": fn, "args": {k: (str(v) if isinstance(v, float) and math.isinf(v) else v)
                                             for k, v in kw.items()},
            "grads": [None if g is None else tensor_json(g) for g in grads],
            "clipped": [None if p.grad is None else tensor_json(p.grad) for p in params]}
    if fn == "clip_grad_norm_":
        case["total_norm"] = tensor_json(out)
    return case


def clip_cases():
    shapes = [(3, 4), None, (5,), (2, 1, 3)]
    return [
        clip_case("l2_clips", shapes, "clip_grad_norm_", max_norm=1.0),
        clip_case("l2_no_clip", shapes, "clip_grad_norm_", max_norm=100.0),
        clip_case("l1", shapes, "clip_grad_norm_", max_norm=2.0, norm_type=1.0),
        clip_case("inf", shapes, "clip_grad_norm_", max_norm=0.5, norm_type=math.inf),
        clip_case("inf_single", [(4, 3)], "clip_grad_norm_", max_norm=0.5, norm_type=math.inf),
        clip_case("p3_5", shapes, "clip_grad_norm_", max_norm=0.7, norm_type=3.5),
        clip_case("l2_float64", shapes, "clip_grad_norm_", dtype=torch.float64, max_norm=1.5),
        clip_case("l2_large", [(6, 7), (7,)], "clip_grad_norm_", scale=1e3, max_norm=1.0),
        clip_case("no_grads", [None, None], "clip_grad_norm_", max_norm=1.0),
        clip_case("value", shapes, "clip_grad_value_", clip_value=0.5),
        clip_case("value_float64", shapes, "clip_grad_value_", dtype=torch.float64, clip_value=1.2),
    ]


def write(name, cases, what):
    lines = [json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases]
    text = ('{"%s":%s,"generated_by":"tools/gen_sched_fixtures.py","torch":%s,"cases":[\n%s\n]}\n'
            % (what, json.dumps(name), json.dumps(torch.__version__), ",\n".join(lines)))
    with open(os.path.join(OUT_DIR, f"{name}.json"), "w") as f:
        f.write(text)
    return len(text)


def main():
    warnings.filterwarnings("ignore")  # scheduler.step() before optimizer.step() is meant here
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.manual_seed(5)
    total = write("sched_lr", sched_cases(), "schedules")
    torch.manual_seed(6)
    total += write("clip_grad", clip_cases(), "clipping")
    print(f"wrote 2 files, {total} bytes, to {os.path.normpath(OUT_DIR)}")


if __name__ == "__main__":
    main()
