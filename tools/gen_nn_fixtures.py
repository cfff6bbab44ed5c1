#!/usr/bin/python3
"""Writes tests/fixtures/nn/layers.json: golden values for strata's nn layers from PyTorch.

Run with Debian's python3-torch (1.13): `/usr/bin/python3 tools/gen_nn_fixtures.py`. The C++ test
(tests/nn/layers_golden_test.cpp) reads only the committed file.

For each layer case: the layer's constructor arguments, its parameters, an input, the output, a
fixed upstream gradient and the gradients of sum(output * upstream) with respect to the input and
every parameter. Also the state_dict keys PyTorch gives container models, and the repr of each
layer, so that strata's names and printing can be compared with PyTorch's.
"""
import json
import os

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "nn", "layers.json")
NAMES = {torch.float32: "float32", torch.float64: "float64"}


def tensor_json(t):
    t = t.detach()
    return {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def case(name, args, module, x):
    x = x.clone().requires_grad_(True)
    out = module(x)
    upstream = torch.randn(out.shape, dtype=out.dtype)
    (out * upstream).sum().backward()
    return {
        "layer": name,
        "args": args,
        "params": {k: tensor_json(p) for k, p in module.named_parameters()},
        "input": tensor_json(x),
        "output": tensor_json(out),
        "upstream": tensor_json(upstream),
        "grad_input": tensor_json(x.grad),
        "grad_params": {k: tensor_json(p.grad) for k, p in module.named_parameters()},
        "repr": repr(module),
    }


def main():
    torch.manual_seed(0)
    cases = []
    for dtype in (torch.float32, torch.float64):
        for shape, bias in (([4, 3], True), ([2, 5, 3], True), ([4, 3], False), ([3], True)):
            m = nn.Linear(3, 2, bias=bias).to(dtype)
            cases.append(case("Linear", {"in_features": 3, "out_features": 2, "bias": bias}, m,
                              torch.randn(shape, dtype=dtype)))
        x = torch.randn(3, 4, dtype=dtype) * 3
        simple = [("ReLU", {}, nn.ReLU()), ("SiLU", {}, nn.SiLU()), ("Tanh", {}, nn.Tanh()),
                  ("Sigmoid", {}, nn.Sigmoid()), ("Identity", {}, nn.Identity()),
                  ("GELU", {"approximate": "none"}, nn.GELU()),
                  ("GELU", {"approximate": "tanh"}, nn.GELU(approximate="tanh")),
                  ("LeakyReLU", {"negative_slope": 0.2}, nn.LeakyReLU(0.2)),
                  ("Softmax", {"dim": 1}, nn.Softmax(dim=1)), ("Softmax", {"dim": 0}, nn.Softmax(dim=0)),
                  ("LogSoftmax", {"dim": 1}, nn.LogSoftmax(dim=1))]
        for name, args, m in simple:
            cases.append(case(name, args, m, x))
        cases.append(case("Flatten", {"start_dim": 1, "end_dim": -1}, nn.Flatten(), torch.randn(2, 3, 2, dtype=dtype)))
        cases.append(case("Unflatten", {"dim": 1, "sizes": [2, 3]}, nn.Unflatten(1, (2, 3)),
                          torch.randn(2, 6, dtype=dtype)))

    nested = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 3), nn.Tanh()))

    class Stack(nn.Module):
        def __init__(self, depth):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(depth)])
            self.heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "act": nn.Tanh()})
            self.scales = nn.ParameterList([nn.Parameter(torch.ones(4)) for _ in range(depth)])

    keys = {"nested_sequential": list(nested.state_dict().keys()), "stack3": list(Stack(3).state_dict().keys())}
    reprs = {"nested_sequential": repr(nested)}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": cases, "state_dict_keys": keys, "reprs": reprs}, f)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
