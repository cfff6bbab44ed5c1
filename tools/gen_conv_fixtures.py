#!/usr/bin/python3
"""Writes tests/fixtures/conv/conv.json: golden values for strata's convolution layers from PyTorch.

Run with Debian's python3-torch (1.13): `/usr/bin/python3 tools/gen_conv_fixtures.py`. The C++ test
(tests/nn/conv_golden_test.cpp) reads only the committed file.

For each case: the layer (Conv1d, Conv2d, ConvTranspose2d) and its constructor arguments (sizes as
lists, one per spatial dim; padding a list or "same"/"valid"), its repr, its parameters, an input
(optionally stored transposed in memory: "noncontig"), the output, a fixed upstream gradient and
the gradients of sum(output * upstream) with respect to the input and every parameter. Shapes are
small so the file stays well under 300 KB. Convolutions behave the same in train and eval mode.
"""
import json
import os

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "conv", "conv.json")
NAMES = {torch.float32: "float32", torch.float64: "float64"}


def tensor_json(t, noncontig=False):
    t = t.detach()
    values = t.reshape(-1).tolist()
    if t.dtype == torch.float32:  # 9 significant digits read back as the same float32, in half the space
        values = [float(f"{v:.9g}") for v in values]
    j = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data": [float(v) for v in values]}
    if noncontig:
        j["noncontig"] = True
    return j


def listed(v, nd):
    if isinstance(v, str):
        return v
    return list(v) if isinstance(v, (tuple, list)) else [v] * nd


def case(layer, x_shape, dtype, noncontig=False, **kw):
    cls = {"Conv1d": nn.Conv1d, "Conv2d": nn.Conv2d, "ConvTranspose2d": nn.ConvTranspose2d}[layer]
    nd = 1 if layer == "Conv1d" else 2
    module = cls(**kw).to(dtype)
    args = {"in_channels": kw["in_channels"], "out_channels": kw["out_channels"]}
    for key, default in [("kernel_size", None), ("stride", 1), ("padding", 0), ("dilation", 1), ("output_padding", 0)]:
        if key == "output_padding" and layer != "ConvTranspose2d":
            continue
        args[key] = listed(kw.get(key, default), nd)
    args["groups"] = kw.get("groups", 1)
    args["bias"] = kw.get("bias", True)
    x = torch.randn(x_shape, dtype=dtype)
    if noncontig:  # same values, transposed memory (the C++ side rebuilds it the same way)
        x = x.transpose(-2, -1).contiguous().transpose(-2, -1)
    x.requires_grad_(True)
    out = module(x)
    upstream = torch.randn(out.shape, dtype=dtype)
    (out * upstream).sum().backward()
    return {
        "layer": layer,
        "args": args,
        "repr": repr(module),
        "params": {k: tensor_json(p) for k, p in module.named_parameters()},
        "input": tensor_json(x, noncontig),
        "output": tensor_json(out),
        "upstream": tensor_json(upstream),
        "grad_input": tensor_json(x.grad),
        "grad_params": {k: tensor_json(p.grad) for k, p in module.named_parameters()},
    }


def main():
    torch.manual_seed(0)
    f32, f64 = torch.float32, torch.float64
    cases = []
    for dt in (f32, f64):
        cases.append(case("Conv2d", (2, 2, 6, 5), dt, in_channels=2, out_channels=3, kernel_size=3))
        cases.append(case("Conv1d", (2, 3, 9), dt, in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1))
        cases.append(case("ConvTranspose2d", (2, 3, 3, 4), dt, in_channels=3, out_channels=2, kernel_size=3,
                          stride=2, padding=1, output_padding=1))
    cases += [
        case("Conv2d", (2, 2, 7, 6), f32, in_channels=2, out_channels=4, kernel_size=(3, 2), stride=(2, 1),
             padding=(1, 2), bias=False),
        case("Conv2d", (1, 2, 6, 6), f64, in_channels=2, out_channels=2, kernel_size=3, padding="same", dilation=2),
        case("Conv2d", (2, 2, 5, 6), f32, in_channels=2, out_channels=3, kernel_size=4, padding="same"),
        case("Conv2d", (2, 4, 5, 5), f32, in_channels=4, out_channels=4, kernel_size=3, padding=1, groups=2),
        case("Conv2d", (1, 3, 7, 7), f64, True, in_channels=3, out_channels=6, kernel_size=3, stride=2,
             padding="valid", groups=3),
        case("Conv2d", (2, 5, 5), f32, in_channels=2, out_channels=3, kernel_size=2, dilation=(1, 2)),
        case("Conv2d", (2, 1, 17, 17), f32, in_channels=1, out_channels=2, kernel_size=2),  # per-sample GEMMs
        case("Conv1d", (2, 4, 8), f64, True, in_channels=4, out_channels=4, kernel_size=2, padding="same",
             dilation=3, groups=2, bias=False),
        case("Conv1d", (3, 10), f32, in_channels=3, out_channels=2, kernel_size=4, stride=3),
        case("ConvTranspose2d", (2, 4, 3, 3), f32, in_channels=4, out_channels=4, kernel_size=(2, 3),
             stride=(1, 2), output_padding=(1, 1), groups=2, dilation=(2, 1), bias=False),
        case("ConvTranspose2d", (2, 4, 4), f64, True, in_channels=2, out_channels=3, kernel_size=2, stride=2),
    ]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": cases}, f)
    print(f"wrote {len(cases)} cases to {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
