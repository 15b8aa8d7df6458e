"""Input validation shared by `divergences` and `transport`.

One validator per kind of input.  Every error names the argument, says what is
wrong (with the first offending index and value) and how to fix it.  Nothing
here is an ``assert``: the checks survive ``python -O``.
"""

import math
import numbers
import warnings

import numpy as np

__all__ = [
    "as_float_array",
    "raise_first_bad_entry",
    "validate_values",
    "validate_weights",
    "weights_and_total",
    "masses_and_total",
    "validate_point_clouds",
    "validate_base",
    "real_option",
]

_NUMERIC_KINDS = "biuf"  # bool, signed int, unsigned int, float


def refuse_masked(x, name):
    """Raise `TypeError` when `x` is a ``numpy.ma.MaskedArray``.

    NumPy's conversions drop the mask, so a masked entry would be read as
    whatever value it hides.  What a mask should mean here is not clear-cut
    (an empty bin? an atom to drop, weight and all? SciPy itself disagrees:
    ``scipy.stats.entropy`` honours it, ``jensenshannon`` does not), so the
    caller says it explicitly.
    """
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            f"`{name}` is a numpy.ma.MaskedArray; masks are not supported (the "
            f"masked values would be read as they are). Say what the masked "
            f"entries mean first: `{name}.filled(0)` to count them as empty "
            f"bins or zero weights, or `{name}.compressed()` (or indexing with "
            f"~np.ma.getmaskarray({name})) to drop them."
        )


def as_float_array(x, name):
    """Convert `x` to a float64 ndarray, refusing non-numeric input.

    Integer, boolean and float32 inputs are converted to float64 (so that all
    arithmetic happens in float64); complex, string, object and ragged inputs
    raise `TypeError`, and so do masked arrays (`refuse_masked`).
    """
    if type(x) is np.ndarray:
        arr = x
    elif isinstance(x, np.ndarray):
        refuse_masked(x, name)
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as exc:  # ragged nested sequences
            raise TypeError(
                f"`{name}` must be a numeric array_like; could not convert it to "
                f"an array ({exc})."
            ) from None
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(
            f"`{name}` must hold real numbers; got an array of dtype "
            f"{arr.dtype} (kind {arr.dtype.kind!r}). Convert it with "
            f"np.asarray({name}, dtype=float) if that is what you mean."
        )
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:  # long double
        return _from_wider_float(arr, name)
    return np.asarray(arr, dtype=np.float64)


def _from_wider_float(arr, name):
    """A long double array as float64, refusing finite entries beyond the
    float64 range (the cast would read them as inf) by name, not as "must
    be finite"."""
    with np.errstate(over="ignore"):
        out = np.asarray(arr, dtype=np.float64)
    lost = np.isinf(out) & np.isfinite(arr)
    if lost.any():
        flat = int(np.flatnonzero(lost.ravel())[0])
        raise ValueError(
            f"`{name}` has an entry that does not fit in a float64: "
            f"{arr.ravel()[flat]!r} at index {_format_index(flat, arr.shape)} "
            f"(too large in magnitude: it would be read as inf); rescale the "
            f"data into the float64 range first."
        )
    return out


def _format_index(flat_index, shape):
    if len(shape) <= 1:
        return str(flat_index)
    return str(tuple(int(i) for i in np.unravel_index(flat_index, shape)))


def raise_first_bad_entry(x, name, *, allow_negative=False):
    """Raise `ValueError` for the first NaN, infinite or negative entry of `x`.

    Does nothing when every entry is finite (and non-negative unless
    `allow_negative`).  This is the slow, precise path used to build the error
    message; the kernels detect bad entries during their own pass.
    """
    x = np.asarray(x)
    bad = ~np.isfinite(x)
    if not allow_negative:
        bad |= x < 0
    if not bad.any():
        return
    flat = int(np.flatnonzero(bad.ravel())[0])
    value = float(x.ravel()[flat])
    where = _format_index(flat, x.shape)
    if np.isnan(value):
        problem = "must not contain NaN"
    elif np.isinf(value):
        problem = "must be finite"
    else:
        problem = "must be non-negative"
    raise ValueError(f"`{name}` {problem}; got {value!r} at index {where}.")


def validate_values(x, name):
    """Atoms of a point cloud as a C-contiguous ``(n, d)`` float64 array.

    A 1-D input of length n is read as n points on the line, ``(n, 1)``.
    """
    arr = as_float_array(x, name)
    if arr.ndim == 0:
        raise ValueError(
            f"`{name}` must be a 1-D array of points on the line or an (n, d) "
            f"array of points in R^d; got a scalar."
        )
    if arr.ndim > 2:
        raise ValueError(
            f"`{name}` must be 1-D (n,) or 2-D (n, d); got {arr.ndim} "
            f"dimensions with shape {arr.shape}."
        )
    if not np.isfinite(arr).all():  # before the reshape: indices as given
        raise_first_bad_entry(arr, name, allow_negative=True)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[0] == 0:
        raise ValueError(f"`{name}` must hold at least one point; it is empty.")
    if arr.shape[1] == 0:
        raise ValueError(
            f"`{name}` has shape {arr.shape}: points must have at least one "
            f"coordinate."
        )
    return np.ascontiguousarray(arr)


def weights_and_total(w, n, name, values_name):
    """Weights of `n` atoms, checked, and their sum: ``(w, total)``.

    ``w / total`` are the normalised weights (`validate_weights`); callers
    that fold the division into a later pass take this pair instead.  Huge
    finite weights whose sum overflows are first divided by their maximum.
    """
    arr = as_float_array(w, name)
    if arr.ndim != 1:
        raise ValueError(
            f"`{name}` must be a 1-D array with one weight per point of "
            f"`{values_name}`; got shape {arr.shape}."
        )
    if arr.shape[0] != n:
        raise ValueError(
            f"`{name}` has {arr.shape[0]} entries but `{values_name}` has {n} "
            f"point{'s' if n != 1 else ''}; give one weight per point."
        )
    arr, total = masses_and_total(np.ascontiguousarray(arr), name)
    if not total > 0:
        raise ValueError(
            f"`{name}` must have a positive sum; all {n} weights are zero."
        )
    return arr, total


def masses_and_total(arr, name):
    """``(arr, total)`` for a float64 array of masses (any shape), checked:
    the first NaN, inf or negative entry raises (`raise_first_bad_entry`);
    finite masses whose sum overflows are first divided by their maximum,
    so that ``arr / total`` are the normalised masses.  A zero total is
    the caller's to refuse."""
    with np.errstate(over="ignore"):  # an overflowing sum is handled below
        total = arr.sum()
    # A finite sum rules out NaN and inf entries, so two reductions check all.
    if not (np.isfinite(total) and arr.min() >= 0):
        if not (np.isfinite(arr).all() and (arr >= 0).all()):
            raise_first_bad_entry(arr, name)
        with np.errstate(under="ignore"):  # tiny weights beside huge ones
            arr = arr / arr.max()  # huge finite weights whose sum overflows
        total = arr.sum()
    return arr, float(total)


def validate_weights(w, n, name, values_name):
    """Weights of `n` atoms: non-negative, finite, positive sum, normalised to 1.

    ``None`` means uniform weights.  Normalisation follows SciPy's
    ``wasserstein_distance``: weights are divided by their sum.
    """
    if w is None:
        return np.full(n, 1.0 / n)
    arr, total = weights_and_total(w, n, name, values_name)
    with np.errstate(under="ignore"):  # a subnormal weight is a weight
        return arr / total


def validate_point_clouds(u_values, v_values, u_weights=None, v_weights=None):
    """Validate two weighted point clouds in the same space.

    Returns
    -------
    X : (n, d) ndarray
    Y : (m, d) ndarray
        C-contiguous float64 atoms (1-D input becomes ``(n, 1)``).
    a : (n,) ndarray
    b : (m,) ndarray
        Non-negative float64 weights, each normalised to total mass 1.
    """
    X = validate_values(u_values, "u_values")
    Y = validate_values(v_values, "v_values")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"`u_values` and `v_values` must live in the same space; got points "
            f"of dimension {X.shape[1]} and {Y.shape[1]}."
        )
    a = validate_weights(u_weights, X.shape[0], "u_weights", "u_values")
    b = validate_weights(v_weights, Y.shape[0], "v_weights", "v_values")
    return X, Y, a, b


def real_option(value, name, requirement):
    """A real-valued option as a Python float.

    `requirement` completes "must be a real number ..." in the messages.
    Refuses non-real types (bool included) with `TypeError`, and values that
    do not fit in a float64 -- ``np.longdouble('1e400')``, ``10**400``,
    ``np.longdouble('1e-400')`` -- with a `ValueError` that says so, rather
    than letting the cast turn them into inf or 0.  Range checks are the
    caller's.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number {requirement}; got {value!r}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # longdouble cast overflow
        try:
            x = float(value)
        except OverflowError:  # int or Fraction beyond float64
            x = math.inf
        if math.isinf(x) and value == value and -math.inf < value < math.inf:
            too = "large"
        elif x == 0.0 and value != 0:
            too = "small"
        else:
            return x
    raise ValueError(
        f"`{name}` = {value!r} does not fit in a float64 (too {too} in "
        f"magnitude: it would be read as {x!r}); pass a value within the float64 "
        f"range, e.g. float({name}) after checking it."
    )


def validate_base(base):
    """Logarithm base: ``None`` (natural log) or a finite real number > 1.

    Units of information need base > 1 (2: bits, e: nats, 10: hartleys); a
    base in (0, 1) would make every divergence negative.  Returns the divisor
    ``log(base)`` applied to natural-log results (1.0 for ``None``).
    """
    if base is None:
        return 1.0
    x = real_option(base, "base", "> 1 or None")
    if not (x > 1.0 and x < math.inf):
        raise ValueError(
            f"`base` must be a finite number > 1 (2 for bits, e for nats, 10 "
            f"for hartleys): units of information need base > 1; got {base!r}."
        )
    return math.log(x)
