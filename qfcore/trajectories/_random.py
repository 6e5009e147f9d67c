"""Counter-based standard normal variates for the trajectory kernels.

Gaussian increments are drawn inside the kernel from a counter-based stream: SplitMix64 (G. L.
Steele, D. Lea & C. H. Flood, OOPSLA 2014) at counter i = step·n_particles + particle, mapped
through Wichura's normal quantile AS241 (M. J. Wichura, Appl. Statist. 37, 477 (1988), exact to
double precision); the key comes from ``rng``, so a run is reproducible from its seed and
independent of the number of threads. So that the draws vectorise, the logarithm of AS241's
tails is fdlibm's (FreeBSD msun e_log.c, error < 1 ulp) rather than a libm call, and blocks of
1024 particles evaluate AS241's central rational for every draw, then the ~15 % tail draws
together.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# SplitMix64 evaluated at counter (key + i·γ), mapped to (0, 1) and through the normal quantile
# function: draw i of a run depends on (key, i) only.
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


@numba.njit(cache=True, inline="always")
def _splitmix(z):
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@numba.njit(cache=True, inline="always")
def _uniform(key, counter):
    """Uniform variate number ``counter`` of the stream ``key``: (m + 1/2)/2^53, m < 2^53."""
    z = _splitmix(key + counter * _GAMMA)
    return (np.float64(z >> _S11) + 0.5) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True, inline="always")
def _normal(key, counter):
    """Standard normal variate number ``counter`` of the stream ``key``."""
    return _ppnd16(_uniform(key, counter))


# AS241 (PPND16) coefficients in ascending powers, numerator and denominator: central region
# |q| = |p − 1/2| ≤ 0.425 in r = 0.180625 − q²; tails in r = √(−ln min(p, 1 − p)) − 1.6 (r ≤ 5)
# and r − 5 (beyond).
_AS241_A = (3.387132872796366608, 133.14166789178437745, 1971.5909503065514427,
            13731.693765509461125, 45921.953931549871457, 67265.770927008700853,
            33430.575583588128105, 2509.0809287301226727)  # fmt: skip
_AS241_B = (1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
            21213.794301586595867, 39307.89580009271061, 28729.085735721942674,
            5226.495278852545925)  # fmt: skip
_AS241_C = (1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055,
            3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177,
            0.0227238449892691845833, 7.7454501427834140764e-4)  # fmt: skip
_AS241_D = (1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
            0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4,
            1.05075007164441684324e-9)  # fmt: skip
_AS241_E = (6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358,
            0.29656057182850489123, 0.026532189526576123093, 0.0012426609473880784386,
            2.71155556874348757815e-5, 2.01033439929228813265e-7)  # fmt: skip
_AS241_F = (1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
            7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7,
            2.04426310338993978564e-15)  # fmt: skip


@numba.njit(cache=True, inline="always")
def _horner8(c, r):
    """c[0] + c[1] r + … + c[7] r⁷ by Horner's rule (AS241's order of operations)."""
    return (
        (((((c[7] * r + c[6]) * r + c[5]) * r + c[4]) * r + c[3]) * r + c[2]) * r + c[1]
    ) * r + c[0]


# ln x for the tails: FreeBSD msun e_log.c (Sun Microsystems fdlibm, 1993; musl's log.c until
# 2018), error < 1 ulp, without its branches for zero, negative, subnormal, inf and nan x (its
# argument here is min(p, 1 − p) ≥ 2^−54). Unlike a call to libm's log, it vectorises.
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
_LG = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
       2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
       1.479819860511658591e-01)  # fmt: skip
_S20, _S32 = np.uint64(20), np.uint64(32)
_LOW_WORD = np.uint64(0xFFFFFFFF)
_MANT_HI = np.uint64(0x000FFFFF)
_SQRT_HALF_HI = np.uint64(0x3FE6A09E)  # high word of √2/2
_SQRT_HALF_SHIFT = np.uint64(0x3FF00000 - 0x3FE6A09E)


@numba.njit(cache=True, inline="always")
def _log(x):
    """ln x for normal x > 0 (fdlibm e_log.c): x = 2^k (1 + f), √2/2 ≤ 1 + f < √2."""
    u = np.float64(x).view(np.uint64)
    hx = (u >> _S32) + _SQRT_HALF_SHIFT
    k = np.float64(np.int64(hx >> _S20) - 0x3FF)
    hx = (hx & _MANT_HI) + _SQRT_HALF_HI
    f = np.uint64((hx << _S32) | (u & _LOW_WORD)).view(np.float64) - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG[1] + w * (_LG[3] + w * _LG[5]))
    t2 = z * (_LG[0] + w * (_LG[2] + w * (_LG[4] + w * _LG[6])))
    return s * (hfsq + (t2 + t1)) + k * _LN2_LO - hfsq + f + k * _LN2_HI


@numba.njit(cache=True, inline="always")
def _ppnd16_central(q):
    """AS241 for |q| = |p − 1/2| ≤ 0.425."""
    r = 0.180625 - q * q
    return q * _horner8(_AS241_A, r) / _horner8(_AS241_B, r)


@numba.njit(cache=True, inline="always")
def _ppnd16_tail(p):
    """AS241 for |p − 1/2| > 0.425, with the vectorisable :func:`_log`."""
    q = p - 0.5
    r = math.sqrt(-_log(p if q < 0 else 1.0 - p))
    if r > 5.0:
        r -= 5.0
        val = _horner8(_AS241_E, r) / _horner8(_AS241_F, r)
    else:
        r -= 1.6
        val = _horner8(_AS241_C, r) / _horner8(_AS241_D, r)
    return -val if q < 0 else val


@numba.njit(cache=True, inline="always")
def _ppnd16(p):
    """Standard normal quantile, Wichura's AS241 (PPND16), relative error ~1e-16, for
    2^−1022 ≤ p < 1 (:func:`_log` takes normal numbers; the stream's p are ≥ 2^−54)."""
    q = p - 0.5
    if abs(q) <= 0.425:
        return _ppnd16_central(q)
    return _ppnd16_tail(p)


#: Particles per work unit of the SDE kernel (scratch: three arrays of this length).
_BLOCK = 1024


@numba.njit(cache=True, inline="always")
def _fill_normals(key, first, g, pb, idx, n):
    """g[k] = _normal(key, first + k) for k < n, in passes that vectorise: AS241's central form
    for every draw, then the ~15 % tail draws gathered (p into pb, position into idx) and
    evaluated together."""
    for k in range(n):
        p = _uniform(key, first + np.uint64(k))
        pb[k] = p
        g[k] = _ppnd16_central(p - 0.5)
    m = 0
    for k in range(n):  # compaction in place: m <= k
        p = pb[k]
        idx[m] = k
        pb[m] = p
        m += abs(p - 0.5) > 0.425
    for t in range(m):
        pb[t] = _ppnd16_tail(pb[t])
    for t in range(m):
        g[idx[t]] = pb[t]


@numba.njit(cache=True, parallel=True)
def _normals(key, base, out):
    """out[p] = normal variate base + p of the stream ``key``, by the kernels' generator."""
    n = out.size
    for blk in numba.prange((n + _BLOCK - 1) // _BLOCK):
        lo = blk * _BLOCK
        nb = min(_BLOCK, n - lo)
        g = np.empty(_BLOCK)
        pb = np.empty(_BLOCK)
        idx = np.empty(_BLOCK, np.int64)
        _fill_normals(key, base + np.uint64(lo), g, pb, idx, nb)
        out[lo : lo + nb] = g[:nb]
