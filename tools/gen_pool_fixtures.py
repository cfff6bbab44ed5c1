#!/usr/bin/python3
"""Writes tests/fixtures/pooling/{pooling,embedding}.json: golden values for strata's pooling layers
and nn::Embedding from PyTorch.

Run with Debian's python3-torch (1.13): `/usr/bin/python3 tools/gen_pool_fixtures.py`. The C++ test
(tests/nn/pooling_golden_test.cpp) reads only the committed files.

Each case: the layer's name and constructor arguments (a list [h, w] where PyTorch was given a
tuple), its parameters (Embedding's weight), the input (float inputs may be stored transposed:
"noncontig"), the output, the max indices (for max pooling), a fixed upstream gradient, the
gradients of sum(output * upstream) with respect to the input and every parameter, and the repr.
Inputs of max pooling hold distinct values, so no window has a tie.
"""
import json
import os

import torch
from torch import nn

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "pooling")
NAMES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}


def tensor_json(t, noncontig=False):
    t = t.detach()
    out = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}
    if noncontig:
        out["noncontig"] = True
    return out


def distinct(shape, dtype):
    """Values with no ties, shuffled."""
    n = 1
    for s in shape:
        n *= s
    return (torch.randperm(n).to(dtype) * 0.37 - n * 0.15).reshape(shape)


def as_torch_args(args):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in args.items()}


def pool_case(name, args, x, noncontig=False):
    module = getattr(nn, name)(**as_torch_args(args))
    x = x.clone().requires_grad_(True)
    if name.startswith("MaxPool"):
        out, indices = getattr(nn.functional, name.lower().replace("maxpool", "max_pool"))(
            x, **as_torch_args(args), return_indices=True)
        assert torch.equal(out, module(x))
    else:
        out, indices = module(x), None
    upstream = torch.randn(out.shape, dtype=out.dtype)
    (out * upstream).sum().backward()
    c = {"layer": name, "args": args, "input": tensor_json(x, noncontig), "output": tensor_json(out),
         "upstream": tensor_json(upstream), "grad_input": tensor_json(x.grad), "repr": repr(module)}
    if indices is not None:
        c["indices"] = tensor_json(indices)
    return c


def pooling_cases():
    cases = []
    for dtype in (torch.float32, torch.float64):
        def d(*shape):
            return distinct(list(shape), dtype)

        def r(*shape):
            return torch.randn(*shape, dtype=dtype)

        cases += [
            pool_case("MaxPool2d", {"kernel_size": 2}, d(2, 2, 5, 7)),
            pool_case("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, d(2, 2, 7, 6), noncontig=True),
            pool_case("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, d(1, 2, 8, 6)),
            pool_case("MaxPool2d", {"kernel_size": [2, 3], "stride": [1, 2], "dilation": [2, 1]}, d(2, 1, 6, 7)),
            pool_case("MaxPool2d", {"kernel_size": 3, "stride": 1, "padding": 1, "dilation": 2, "ceil_mode": True},
                      d(1, 2, 7, 5)),
            pool_case("MaxPool2d", {"kernel_size": 2}, d(3, 5, 4)),
            pool_case("MaxPool1d", {"kernel_size": 3, "stride": 2, "padding": 1}, d(2, 3, 9)),
            pool_case("MaxPool1d", {"kernel_size": 2, "ceil_mode": True}, d(3, 7)),
            pool_case("MaxPool1d", {"kernel_size": 2, "dilation": 3}, d(2, 2, 10), noncontig=True),
            pool_case("AvgPool2d", {"kernel_size": 2}, r(1, 3, 6, 7)),
            pool_case("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, r(1, 2, 7, 6), noncontig=True),
            pool_case("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
                      r(2, 2, 7, 6)),
            pool_case("AvgPool2d", {"kernel_size": 2, "ceil_mode": True}, r(1, 2, 5, 7)),
            pool_case("AvgPool2d", {"kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 0], "ceil_mode": True,
                                    "count_include_pad": False}, r(1, 2, 8, 5)),
            pool_case("AvgPool2d", {"kernel_size": 3, "padding": 1, "divisor_override": 5}, r(2, 7, 7)),
            pool_case("AvgPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
                      r(2, 3, 9)),
            pool_case("AvgPool1d", {"kernel_size": 4, "stride": 3, "ceil_mode": True}, r(3, 11)),
            pool_case("AdaptiveAvgPool2d", {"output_size": [3, 4]}, r(2, 2, 5, 7)),
            pool_case("AdaptiveAvgPool2d", {"output_size": 1}, r(2, 3, 4, 5), noncontig=True),
            pool_case("AdaptiveAvgPool2d", {"output_size": [7, 2]}, r(2, 5, 5)),
            pool_case("AdaptiveAvgPool1d", {"output_size": 3}, r(2, 3, 7)),
            pool_case("AdaptiveAvgPool1d", {"output_size": 5}, r(2, 3)),
        ]
    return cases


def embedding_case(args, indices, dtype, from_pretrained=None):
    if from_pretrained is not None:
        module = nn.Embedding.from_pretrained(from_pretrained.to(dtype), freeze=False,
                                              padding_idx=args.get("padding_idx"))
    else:
        module = nn.Embedding(**args).to(dtype)
    out = module(indices)
    upstream = torch.randn(out.shape, dtype=out.dtype)
    (out * upstream).sum().backward()
    return {"layer": "Embedding", "args": args, "from_pretrained": from_pretrained is not None,
            "params": {"weight": tensor_json(module.weight)}, "input": tensor_json(indices),
            "output": tensor_json(out), "upstream": tensor_json(upstream),
            "grad_params": {"weight": tensor_json(module.weight.grad)}, "repr": repr(module)}


def embedding_cases():
    cases = []
    idx = torch.tensor([[1, 2, 4, 5], [4, 3, 2, 9]])
    for dtype in (torch.float32, torch.float64):
        cases += [
            embedding_case({"num_embeddings": 10, "embedding_dim": 3}, idx, dtype),
            embedding_case({"num_embeddings": 10, "embedding_dim": 3, "padding_idx": 2}, idx, dtype),
            embedding_case({"num_embeddings": 10, "embedding_dim": 3, "padding_idx": -1}, idx, dtype),
            embedding_case({"num_embeddings": 10, "embedding_dim": 3, "padding_idx": 4},
                           torch.tensor([4, 0, 4, 7]), dtype),
        ]
        # A padding row holding non-zero values: the forward returns them, the row takes no gradient.
        cases.append(embedding_case({"num_embeddings": 6, "embedding_dim": 2, "padding_idx": 1},
                                    torch.tensor([[1, 0], [5, 1]]), dtype, from_pretrained=torch.randn(6, 2)))
    return cases


def main():
    torch.manual_seed(0)
    os.makedirs(DIR, exist_ok=True)
    for name, cases in (("pooling", pooling_cases()), ("embedding", embedding_cases())):
        with open(os.path.join(DIR, name + ".json"), "w") as f:
            json.dump({"torch_version": torch.__version__, "cases": cases}, f)


if __name__ == "__main__":
    main()
