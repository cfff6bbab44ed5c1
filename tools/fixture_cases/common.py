"""Input makers and the op registry shared by the case modules."""
import torch

F32, F64, I64 = torch.float32, torch.float64, torch.int64
SHORT = {F32: "f32", F64: "f64"}


class In:
    """One input: a tensor, whether it takes a gradient, whether to give it transposed strides."""

    def __init__(self, t, grad=None, noncontig=False):
        self.t = t
        self.grad = t.is_floating_point() if grad is None else grad
        self.noncontig = noncontig


def rn(*shape, dtype=F64):
    return torch.randn(shape, dtype=dtype)


def pos(*shape, dtype=F64):
    """Values in [0.5, 2.5): inside the domain of log, sqrt, pow with a tensor exponent."""
    return torch.rand(shape, dtype=dtype) * 2 + 0.5


def ints(lo, hi, *shape):
    return torch.randint(lo, hi, shape)


def bools(*shape):
    return torch.rand(shape) < 0.5


def nc(t):
    return In(t, noncontig=True)


OPS = []


def op(name, fn):
    """Registers `cases()` (a list of (name, inputs, params)) for op `name`, computed by fn(xs, params)."""

    def register(cases):
        OPS.append((name, fn, cases))
        return cases

    return register


def per_float(make):
    """make(dtype) -> cases; prefixes each case name with f32_ / f64_."""
    out = []
    for dt in (F32, F64):
        for name, inputs, params in make(dt):
            out.append((f"{SHORT[dt]}_{name}", inputs, params))
    return out
