"""Reductions, cumsum and softmax."""
import torch

from .common import In, bools, ints, nc, op, per_float, pos, rn


# ---- reductions ----

def reduce_dims(x, dims):
    """PyTorch reads an empty dim list inconsistently across ops; here it always means every dim."""
    return list(dims) if dims else list(range(x.dim()))


def summed(x, dims, keepdim):
    return torch.sum(x, dim=reduce_dims(x, dims), keepdim=keepdim) if x.dim() else torch.sum(x)


@op("sum", lambda xs, p: summed(xs[0], p["dims"], p["keepdim"]))
def _sum():
    return per_float(lambda dt: [
        ("all", [In(rn(3, 4, dtype=dt))], {"dims": [], "keepdim": False}),
        ("all_keepdim", [In(rn(3, 4, dtype=dt))], {"dims": [], "keepdim": True}),
        ("dim1", [In(rn(3, 4, dtype=dt))], {"dims": [1], "keepdim": False}),
        ("dims02_keepdim", [In(rn(2, 3, 4, dtype=dt))], {"dims": [0, 2], "keepdim": True}),
        ("neg_dim", [In(rn(2, 3, 4, dtype=dt))], {"dims": [-1], "keepdim": False}),
        ("noncontig", [nc(rn(3, 4, dtype=dt))], {"dims": [0], "keepdim": False}),
        ("0d", [In(rn(dtype=dt))], {"dims": [], "keepdim": False}),
        ("empty", [In(rn(0, 3, dtype=dt))], {"dims": [0], "keepdim": False}),
    ]) + [
        ("i64_dim1", [In(ints(-5, 6, 3, 4))], {"dims": [1], "keepdim": False}),
        ("bool_all", [In(bools(3, 4))], {"dims": [], "keepdim": False}),
    ]


@op("mean", lambda xs, p: torch.mean(xs[0], dim=reduce_dims(xs[0], p["dims"]), keepdim=p["keepdim"]))
def _mean():
    return per_float(lambda dt: [
        ("all", [In(rn(3, 4, dtype=dt))], {"dims": [], "keepdim": False}),
        ("dim1_keepdim", [In(rn(3, 4, dtype=dt))], {"dims": [1], "keepdim": True}),
        ("dims02", [In(rn(2, 3, 4, dtype=dt))], {"dims": [0, 2], "keepdim": False}),
        ("noncontig", [nc(rn(3, 4, dtype=dt))], {"dims": [-2], "keepdim": False}),
        ("empty_all", [In(rn(0, 3, dtype=dt))], {"dims": [], "keepdim": False}),
    ])


def with_dim(all_fn, dim_fn):
    return lambda xs, p: dim_fn(xs[0], p["dim"], keepdim=p["keepdim"]) if "dim" in p else all_fn(xs[0])


def zeros_at(t, *where):
    t = t.clone()
    for w in where:
        t[w] = 0
    return t


@op("prod", with_dim(torch.prod, torch.prod))
def _prod():
    return per_float(lambda dt: [
        ("all", [In(rn(2, 3, dtype=dt))], {}),
        ("dim1", [In(rn(3, 4, dtype=dt))], {"dim": 1, "keepdim": False}),
        ("dim0_keepdim", [nc(rn(3, 4, dtype=dt))], {"dim": 0, "keepdim": True}),
        # A zero factor: its gradient is the product of the others; two zeros make every gradient 0.
        ("one_zero_all", [In(zeros_at(rn(2, 3, dtype=dt), (1, 2)))], {}),
        ("zeros_dim1", [In(zeros_at(rn(3, 4, dtype=dt), (0, 1), (1, 0), (1, 3)))], {"dim": 1, "keepdim": False}),
    ]) + [
        ("i64_all", [In(ints(-3, 4, 2, 3))], {}),
        ("i64_dim0", [In(ints(-3, 4, 2, 3))], {"dim": 0, "keepdim": False}),
    ]


def extreme_cases():
    def ties(dt):
        return torch.tensor([[1.0, 3.0, 3.0], [0.0, 3.0, -1.0]], dtype=dt)

    return per_float(lambda dt: [
        ("all", [In(rn(3, 4, dtype=dt))], {}),
        # Tied extremes share the gradient equally for the all-elements reduction.
        ("all_ties", [In(ties(dt))], {}),
        ("dim1", [In(rn(3, 4, dtype=dt))], {"dim": 1, "keepdim": False}),
        ("dim0_keepdim", [In(rn(3, 4, dtype=dt))], {"dim": 0, "keepdim": True}),
        ("noncontig_neg_dim", [nc(rn(3, 4, dtype=dt))], {"dim": -1, "keepdim": False}),
        ("3d_dim1", [In(rn(2, 3, 4, dtype=dt))], {"dim": 1, "keepdim": False}),
    ]) + [
        ("i64_all", [In(ints(-50, 50, 3, 4))], {}),
        ("i64_dim1", [In(ints(-50, 50, 3, 4))], {"dim": 1, "keepdim": False}),
    ]


op("max", with_dim(torch.max, torch.max))(extreme_cases)
op("min", with_dim(torch.min, torch.min))(extreme_cases)


def arg_cases():
    return per_float(lambda dt: [
        ("all", [In(rn(3, 4, dtype=dt))], {}),
        ("dim1", [In(rn(3, 4, dtype=dt))], {"dim": 1, "keepdim": False}),
        ("dim0_keepdim", [nc(rn(3, 4, dtype=dt))], {"dim": 0, "keepdim": True}),
    ]) + [
        ("i64_all", [In(ints(-50, 50, 3, 4))], {}),
        # Ties: the first index wins.
        ("i64_ties_dim1", [In(ints(0, 2, 4, 5))], {"dim": 1, "keepdim": False}),
    ]


op("argmax", with_dim(torch.argmax, torch.argmax))(arg_cases)
op("argmin", with_dim(torch.argmin, torch.argmin))(arg_cases)


def var_cases():
    return per_float(lambda dt: [
        ("all", [In(rn(3, 4, dtype=dt))], {"dims": [], "correction": 1, "keepdim": False}),
        ("dim1_pop", [In(rn(3, 4, dtype=dt))], {"dims": [1], "correction": 0, "keepdim": False}),
        ("dims02_keepdim", [In(rn(2, 3, 4, dtype=dt))], {"dims": [0, 2], "correction": 1, "keepdim": True}),
        ("noncontig_corr2", [nc(rn(3, 5, dtype=dt))], {"dims": [0], "correction": 2, "keepdim": False}),
    ])


op("var", lambda xs, p: torch.var(xs[0], reduce_dims(xs[0], p["dims"]), correction=p["correction"],
                                  keepdim=p["keepdim"]))(var_cases)
op("std", lambda xs, p: torch.std(xs[0], reduce_dims(xs[0], p["dims"]), correction=p["correction"],
                                  keepdim=p["keepdim"]))(var_cases)


@op("norm", lambda xs, p: torch.linalg.vector_norm(xs[0], ord=float(p["p"]), dim=reduce_dims(xs[0], p["dims"]),
                                                    keepdim=p["keepdim"]))
def _norm():
    return per_float(lambda dt: [
        ("p2_all", [In(rn(3, 4, dtype=dt))], {"p": 2.0, "dims": [], "keepdim": False}),
        ("p1_dim1", [In(rn(3, 4, dtype=dt))], {"p": 1.0, "dims": [1], "keepdim": False}),
        ("p3_dim0_keepdim", [nc(rn(3, 4, dtype=dt))], {"p": 3.0, "dims": [0], "keepdim": True}),
        ("p0_5_all", [In(pos(2, 3, dtype=dt))], {"p": 0.5, "dims": [], "keepdim": False}),
        ("pinf_dim1", [In(rn(3, 4, dtype=dt))], {"p": "inf", "dims": [1], "keepdim": False}),
    ])


@op("logsumexp", lambda xs, p: torch.logsumexp(xs[0], p["dims"], keepdim=p["keepdim"]))
def _logsumexp():
    return per_float(lambda dt: [
        ("dim1", [In(rn(3, 4, dtype=dt))], {"dims": [1], "keepdim": False}),
        ("dims01_keepdim", [In(rn(2, 3, 4, dtype=dt))], {"dims": [0, 1], "keepdim": True}),
        ("noncontig", [nc(rn(3, 4, dtype=dt))], {"dims": [-1], "keepdim": False}),
        # Large values overflow a naive exp.
        ("large", [In(rn(2, 3, dtype=dt) * 5 + 200)], {"dims": [1], "keepdim": False}),
    ])


@op("cumsum", lambda xs, p: torch.cumsum(xs[0], p["dim"]))
def _cumsum():
    return per_float(lambda dt: [
        ("dim0", [In(rn(3, 4, dtype=dt))], {"dim": 0}),
        ("dim1", [In(rn(3, 4, dtype=dt))], {"dim": 1}),
        ("noncontig_neg", [nc(rn(2, 3, 4, dtype=dt))], {"dim": -1}),
        ("0d", [In(rn(dtype=dt))], {"dim": 0}),
    ]) + [
        ("i64", [In(ints(-5, 6, 3, 4))], {"dim": 1}),
        ("bool", [In(bools(2, 5))], {"dim": 1}),
    ]


def softmax_cases():
    return per_float(lambda dt: [
        ("dim1", [In(rn(3, 4, dtype=dt))], {"dim": 1}),
        ("dim0", [In(rn(3, 4, dtype=dt))], {"dim": 0}),
        ("3d_neg", [In(rn(2, 3, 4, dtype=dt))], {"dim": -1}),
        ("noncontig", [nc(rn(3, 4, dtype=dt))], {"dim": 1}),
        ("large", [In(rn(2, 3, dtype=dt) * 5 + 200)], {"dim": 1}),
    ])


op("softmax", lambda xs, p: torch.softmax(xs[0], p["dim"]))(softmax_cases)
op("log_softmax", lambda xs, p: torch.log_softmax(xs[0], p["dim"]))(softmax_cases)
