#!/usr/bin/python3
"""Writes tests/fixtures/normalization/{batch_norm,group_norm,layer_norm,rms_norm}.json: golden
values for strata's normalization layers from PyTorch.

Run with Debian's python3-torch (1.13): `/usr/bin/python3 tools/gen_norm_fixtures.py`. The C++ test
(tests/nn/normalization_golden_test.cpp) reads only the committed files.

For each case: the layer's constructor arguments, its state before the step (parameters, set to
random values so that the affine map is exercised, and buffers), the mode (train or eval), an
input, the output, a fixed upstream gradient, the gradients of sum(output * upstream) with respect
to the input and every parameter, the buffers after the step (running statistics and
num_batches_tracked) and the layer's repr.

PyTorch 1.13 has no RMSNorm. Its cases come from the class below, a hand-written expression of
PyTorch 2.4's definition (torch.nn.RMSNorm / torch.nn.functional.rms_norm):
y = x * rsqrt(mean(x^2 over the normalized dims) + eps) * weight, where eps=None means
torch.finfo(x.dtype).eps, weight starts at ones, and the repr is
"RMSNorm((4,), eps=None, elementwise_affine=True)".
"""
import json
import os

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "normalization")
NAMES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}


class RMSNorm(nn.Module):
    """PyTorch 2.4's torch.nn.RMSNorm, written out for PyTorch 1.13."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(self.normalized_shape))
        else:
            self.register_parameter("weight", None)

    def forward(self, x):
        dims = tuple(range(-len(self.normalized_shape), 0))
        eps = torch.finfo(x.dtype).eps if self.eps is None else self.eps
        y = x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps)
        return y * self.weight if self.weight is not None else y

    def extra_repr(self):
        return "{normalized_shape}, eps={eps}, elementwise_affine={elementwise_affine}".format(**self.__dict__)


def tensor_json(t):
    t = t.detach()
    data = [float(v) for v in t.reshape(-1).tolist()] if t.is_floating_point() else t.reshape(-1).tolist()
    return {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data": data}


def randomize(module):
    """Random affine parameters and, for BatchNorm, running statistics that are not the defaults."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.randn(p.shape, dtype=p.dtype) * 0.5 + (1.0 if name == "weight" else 0.0))
        if getattr(module, "running_mean", None) is not None:
            module.running_mean.copy_(torch.randn(module.running_mean.shape) * 0.3)
            module.running_var.copy_(torch.rand(module.running_var.shape) + 0.5)
            module.num_batches_tracked.fill_(2)


def case(name, args, module, x, train=True):
    randomize(module)
    module.train(train)
    state = {k: tensor_json(v) for k, v in module.state_dict().items()}
    x = x.clone().requires_grad_(True)
    out = module(x)
    upstream = torch.randn(out.shape, dtype=out.dtype)
    (out * upstream).sum().backward()
    return {
        "layer": name,
        "args": args,
        "train": train,
        "state": state,
        "input": tensor_json(x),
        "output": tensor_json(out),
        "upstream": tensor_json(upstream),
        "grad_input": tensor_json(x.grad),
        "grad_params": {k: tensor_json(p.grad) for k, p in module.named_parameters()},
        "buffers_after": {k: tensor_json(b) for k, b in module.named_buffers()},
        "repr": repr(module),
    }


def batch_norm_cases(dtype):
    cases = []
    for cls, name, shape in ((nn.BatchNorm1d, "BatchNorm1d", [5, 3]), (nn.BatchNorm1d, "BatchNorm1d", [3, 2, 4]),
                             (nn.BatchNorm2d, "BatchNorm2d", [2, 2, 3, 3])):
        c = shape[1]
        configs = [
            {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True},
            {"eps": 1e-3, "momentum": None, "affine": True, "track_running_stats": True},
            {"eps": 1e-5, "momentum": 0.3, "affine": False, "track_running_stats": True},
            {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": False},
        ]
        for cfg in configs:
            for train in (True, False):
                m = cls(c, **cfg).to(dtype)
                x = torch.randn(shape, dtype=dtype) * 2 + 0.5
                cases.append(case(name, dict(cfg, num_features=c), m, x, train))
    return cases


def group_norm_cases(dtype):
    cases = []
    for groups, shape, affine, eps in ((2, [3, 4, 5], True, 1e-5), (3, [2, 6, 2, 3], True, 1e-5),
                                       (1, [2, 4], False, 1e-3), (4, [2, 4, 3], True, 1e-5)):
        m = nn.GroupNorm(groups, shape[1], eps=eps, affine=affine).to(dtype)
        args = {"num_groups": groups, "num_channels": shape[1], "eps": eps, "affine": affine}
        cases.append(case("GroupNorm", args, m, torch.randn(shape, dtype=dtype) * 2 + 1, True))
    return cases


def layer_norm_cases(dtype):
    cases = []
    for ns, shape, affine, eps in (([4], [3, 4], True, 1e-5), ([4], [2, 3, 4], True, 1e-5),
                                   ([3, 4], [2, 3, 4], True, 1e-5), ([5], [2, 5], False, 1e-3),
                                   ([2, 3, 2], [2, 3, 2], True, 1e-6)):
        m = nn.LayerNorm(ns, eps=eps, elementwise_affine=affine).to(dtype)
        args = {"normalized_shape": ns, "eps": eps, "elementwise_affine": affine}
        cases.append(case("LayerNorm", args, m, torch.randn(shape, dtype=dtype) * 3 + 1, True))
    return cases


def rms_norm_cases(dtype):
    cases = []
    for ns, shape, affine, eps in (([4], [3, 4], True, None), ([4], [2, 3, 4], True, 1e-6),
                                   ([3, 4], [2, 3, 4], True, None), ([5], [2, 5], False, None),
                                   ([5], [2, 5], True, 0.1)):
        m = RMSNorm(ns, eps=eps, elementwise_affine=affine).to(dtype)
        args = {"normalized_shape": ns, "eps": eps, "elementwise_affine": affine}
        cases.append(case("RMSNorm", args, m, torch.randn(shape, dtype=dtype) * 2, True))
    return cases


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    for family, make in (("batch_norm", batch_norm_cases), ("group_norm", group_norm_cases),
                         ("layer_norm", layer_norm_cases), ("rms_norm", rms_norm_cases)):
        cases = make(torch.float32) + make(torch.float64)
        with open(os.path.join(OUT, family + ".json"), "w") as f:
            json.dump({"torch_version": torch.__version__, "cases": cases}, f)


if __name__ == "__main__":
    main()
