"""Elementwise ops: unary, binary, scalar operands, comparisons, logical ops, where."""
import torch
import torch.nn.functional as F

from .common import F32, F64, In, bools, ints, nc, op, per_float, pos, rn


# Elementwise unary ops: (name, torch fn, input maker, extra int case?)
UNARY = [
    ("neg", torch.neg, rn, True),
    ("abs", torch.abs, rn, True),
    ("sign", torch.sign, rn, True),
    ("exp", torch.exp, rn, True),
    ("log", torch.log, pos, False),
    ("log1p", torch.log1p, pos, False),
    ("sqrt", torch.sqrt, pos, True),
    ("rsqrt", torch.rsqrt, pos, False),
    ("sin", torch.sin, rn, False),
    ("cos", torch.cos, rn, False),
    ("tanh", torch.tanh, rn, False),
    ("erf", torch.erf, rn, False),
    ("sigmoid", torch.sigmoid, rn, True),
    ("relu", torch.relu, rn, True),
    ("silu", F.silu, rn, False),
]


def unary_cases(make, with_int):
    def cases():
        out = per_float(lambda dt: [
            ("basic", [In(make(2, 3, dtype=dt))], {}),
            ("noncontig", [nc(make(3, 4, dtype=dt))], {}),
            ("0d", [In(make(dtype=dt))], {}),
            ("empty", [In(make(0, 3, dtype=dt))], {}),
        ])
        if with_int:
            out.append(("i64_basic", [In(ints(-5, 6, 2, 3) if make is rn else ints(1, 9, 2, 3))], {}))
        return out

    return cases


for _name, _fn, _make, _with_int in UNARY:
    op(_name, lambda xs, p, f=_fn: f(xs[0]))(unary_cases(_make, _with_int))


@op("gelu", lambda xs, p: F.gelu(xs[0], approximate=p["approximate"]))
def _gelu():
    return per_float(lambda dt: [
        ("exact", [In(rn(2, 3, dtype=dt) * 2)], {"approximate": "none"}),
        ("tanh", [In(rn(2, 3, dtype=dt) * 2)], {"approximate": "tanh"}),
        ("tanh_noncontig", [nc(rn(3, 4, dtype=dt) * 2)], {"approximate": "tanh"}),
    ])


@op("softplus", lambda xs, p: F.softplus(xs[0], beta=p["beta"], threshold=p["threshold"]))
def _softplus():
    return per_float(lambda dt: [
        ("default", [In(rn(2, 4, dtype=dt) * 3)], {"beta": 1.0, "threshold": 20.0}),
        # beta * x crosses the threshold for some elements: those pass through linearly.
        ("beta2_threshold3", [In(rn(2, 4, dtype=dt) * 3)], {"beta": 2.0, "threshold": 3.0}),
    ])


@op("leaky_relu", lambda xs, p: F.leaky_relu(xs[0], negative_slope=p["negative_slope"]))
def _leaky_relu():
    return per_float(lambda dt: [
        ("default", [In(rn(2, 4, dtype=dt))], {"negative_slope": 0.01}),
        ("slope_0_2", [nc(rn(3, 4, dtype=dt))], {"negative_slope": 0.2}),
    ])


@op("clamp", lambda xs, p: torch.clamp(xs[0], min=p["min"], max=p["max"]))
def _clamp():
    out = per_float(lambda dt: [
        ("both", [In(rn(3, 4, dtype=dt))], {"min": -0.5, "max": 0.5}),
        ("min_only", [In(rn(3, 4, dtype=dt))], {"min": 0.0, "max": None}),
        ("max_only", [nc(rn(3, 4, dtype=dt))], {"min": None, "max": 0.25}),
    ])
    out.append(("i64_both", [In(ints(-10, 10, 2, 5))], {"min": -3, "max": 4}))
    return out


# ---- elementwise binary ----

def binary_cases(make_a=rn, make_b=rn, ints_ok=True):
    def cases():
        out = per_float(lambda dt: [
            ("same_shape", [In(make_a(2, 3, dtype=dt)), In(make_b(2, 3, dtype=dt))], {}),
            ("broadcast", [In(make_a(2, 1, 3, dtype=dt)), In(make_b(4, 1, dtype=dt))], {}),
            ("noncontig", [nc(make_a(3, 4, dtype=dt)), In(make_b(4, dtype=dt))], {}),
            ("0d", [In(make_a(dtype=dt)), In(make_b(2, 2, dtype=dt))], {}),
        ])
        # Promotion: float64 and float32 operands of equal rank give float64; a 0-d float64
        # operand does not lift a float32 tensor.
        out.append(("mixed_f32_f64", [In(make_a(2, 3, dtype=F32)), In(make_b(2, 3, dtype=F64))], {}))
        out.append(("mixed_f32_0d_f64", [In(make_a(2, 3, dtype=F32)), In(make_b(dtype=F64))], {}))
        if ints_ok:
            out.append(("i64", [In(ints(-5, 6, 2, 3)), In(ints(1, 6, 2, 3))], {}))
            out.append(("mixed_i64_f32", [In(ints(-5, 6, 2, 3)), In(make_b(3, dtype=F32))], {}))
        return out

    return cases


op("add", lambda xs, p: torch.add(xs[0], xs[1], alpha=p.get("alpha", 1)))(binary_cases())
op("sub", lambda xs, p: torch.sub(xs[0], xs[1], alpha=p.get("alpha", 1)))(binary_cases())
op("mul", lambda xs, p: torch.mul(xs[0], xs[1]))(binary_cases())
op("div", lambda xs, p: torch.div(xs[0], xs[1]))(binary_cases(make_b=pos))
op("pow", lambda xs, p: torch.pow(xs[0], xs[1]))(binary_cases(make_a=pos, ints_ok=False))
op("maximum", lambda xs, p: torch.maximum(xs[0], xs[1]))(binary_cases())
op("minimum", lambda xs, p: torch.minimum(xs[0], xs[1]))(binary_cases())


@op("add_alpha", lambda xs, p: torch.add(xs[0], xs[1], alpha=p["alpha"]))
def _add_alpha():
    return per_float(lambda dt: [("broadcast", [In(rn(2, 3, dtype=dt)), In(rn(3, dtype=dt))], {"alpha": 2.5})]) + [
        ("i64", [In(ints(-5, 6, 2, 3)), In(ints(-5, 6, 3))], {"alpha": 3})]


@op("sub_alpha", lambda xs, p: torch.sub(xs[0], xs[1], alpha=p["alpha"]))
def _sub_alpha():
    return per_float(lambda dt: [("broadcast", [In(rn(2, 3, dtype=dt)), In(rn(3, dtype=dt))], {"alpha": -0.5})])


def scalar_cases(make=rn, int_scalar=2, float_scalar=1.5):
    def cases():
        out = per_float(lambda dt: [
            ("float_scalar", [In(make(2, 3, dtype=dt))], {"scalar": float_scalar}),
            ("int_scalar", [nc(make(3, 4, dtype=dt))], {"scalar": int_scalar}),
        ])
        # An int tensor stays int64 with an int scalar and becomes float32 with a float scalar.
        out.append(("i64_int_scalar", [In(ints(1, 6, 2, 3))], {"scalar": int_scalar}))
        out.append(("i64_float_scalar", [In(ints(1, 6, 2, 3))], {"scalar": float_scalar}))
        return out

    return cases


op("add_scalar", lambda xs, p: xs[0] + p["scalar"])(scalar_cases())
op("sub_scalar", lambda xs, p: xs[0] - p["scalar"])(scalar_cases())
op("mul_scalar", lambda xs, p: xs[0] * p["scalar"])(scalar_cases())
op("div_scalar", lambda xs, p: xs[0] / p["scalar"])(scalar_cases())
op("rsub_scalar", lambda xs, p: p["scalar"] - xs[0])(scalar_cases())
op("rdiv_scalar", lambda xs, p: p["scalar"] / xs[0])(scalar_cases(make=pos))


@op("pow_scalar", lambda xs, p: torch.pow(xs[0], p["scalar"]))
def _pow_scalar():
    out = per_float(lambda dt: [
        ("square", [In(rn(2, 3, dtype=dt))], {"scalar": 2}),
        ("cube", [nc(rn(3, 4, dtype=dt))], {"scalar": 3.0}),
        ("sqrt", [In(pos(2, 3, dtype=dt))], {"scalar": 0.5}),
        ("neg_frac", [In(pos(2, 3, dtype=dt))], {"scalar": -1.5}),
    ])
    out.append(("i64_square", [In(ints(-4, 5, 2, 3))], {"scalar": 2}))
    return out


def compare_fn(f):
    return lambda xs, p: f(xs[0], p["scalar"]) if "scalar" in p else f(xs[0], xs[1])


def compare_cases():
    # Small integers as floats make ties, where the comparisons differ from one another.
    def tied(*shape, dtype=F64):
        return ints(-2, 3, *shape).to(dtype)

    out = per_float(lambda dt: [
        ("same_shape", [In(tied(3, 4, dtype=dt)), In(tied(3, 4, dtype=dt))], {}),
        ("broadcast", [In(tied(2, 1, 3, dtype=dt)), In(tied(4, 1, dtype=dt))], {}),
        ("noncontig", [nc(tied(3, 4, dtype=dt)), In(tied(4, dtype=dt))], {}),
        ("scalar", [In(tied(3, 4, dtype=dt))], {"scalar": 0.0}),
    ])
    out.append(("i64", [In(ints(-2, 3, 3, 4)), In(ints(-2, 3, 3, 4))], {}))
    out.append(("i64_f32", [In(ints(-2, 3, 3, 4)), In(tied(4, dtype=F32) + 0.5)], {}))
    out.append(("i64_scalar", [In(ints(-2, 3, 3, 4))], {"scalar": 1}))
    out.append(("bool", [In(bools(2, 3)), In(bools(2, 3))], {}))
    return out


for _name, _fn in [("eq", torch.eq), ("ne", torch.ne), ("lt", torch.lt), ("le", torch.le), ("gt", torch.gt),
                   ("ge", torch.ge)]:
    op(_name, compare_fn(_fn))(compare_cases)


def logical_cases():
    return [
        ("bool", [In(bools(3, 4)), In(bools(3, 4))], {}),
        ("bool_broadcast", [In(bools(2, 1, 3)), In(bools(4, 1))], {}),
        ("bool_noncontig", [nc(bools(3, 4)), In(bools(4))], {}),
        ("f32", [In(ints(-1, 2, 2, 3).float(), grad=False), In(ints(-1, 2, 2, 3).float(), grad=False)], {}),
        ("i64_f64", [In(ints(-1, 2, 2, 3)), In(ints(-1, 2, 2, 3).double(), grad=False)], {}),
    ]


for _name, _fn in [("logical_and", torch.logical_and), ("logical_or", torch.logical_or),
                   ("logical_xor", torch.logical_xor)]:
    op(_name, lambda xs, p, f=_fn: f(xs[0], xs[1]))(logical_cases)


@op("logical_not", lambda xs, p: torch.logical_not(xs[0]))
def _logical_not():
    return [
        ("bool", [In(bools(3, 4))], {}),
        ("bool_noncontig", [nc(bools(3, 4))], {}),
        ("f32", [In(ints(-1, 2, 2, 3).float(), grad=False)], {}),
        ("i64", [In(ints(-1, 2, 2, 3))], {}),
    ]


@op("where", lambda xs, p: torch.where(xs[0], xs[1], xs[2]))
def _where():
    return per_float(lambda dt: [
        ("same_shape", [In(bools(2, 3)), In(rn(2, 3, dtype=dt)), In(rn(2, 3, dtype=dt))], {}),
        ("broadcast", [In(bools(3, 1)), In(rn(1, 4, dtype=dt)), In(rn(3, 4, dtype=dt))], {}),
        ("noncontig", [nc(bools(3, 4)), nc(rn(3, 4, dtype=dt)), In(rn(4, dtype=dt))], {}),
    ]) + [("i64", [In(bools(2, 3)), In(ints(-5, 5, 2, 3)), In(ints(-5, 5, 3))], {})]
