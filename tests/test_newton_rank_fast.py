"""information_rank's cheaper check (issue 16) gives the rank of the eigenvalue count it replaces, on
singular, near-singular and regular information matrices: 1 x 1 exactly, 2 x 2 by a closed-form Cholesky
certificate, larger by a Cholesky certificate, every uncertain case by the eigenvalues themselves.  The
hand-checked 2 x 2 cases (rank 2 at a scaled eigenvalue 1 - rho of 6 * RANK_RTOL, rank 1 at rho = 1) are in
test_singular_and_regular_steps."""

import numpy as np
import pytest

from spinestats.analysis.core.newton import RANK_RTOL, information_rank, solve_information


def eigen_rank(info):
    """information_rank by the eigenvalue count alone (its certificate of full rank switched off)."""
    from unittest import mock

    from spinestats.analysis.core import newton

    with mock.patch.object(newton, "_certainly_full_rank", lambda sym, tol: False):
        return newton.information_rank(info)


def correlation(rho):
    return np.array([[1.0, rho], [rho, 1.0]])


def matrices():
    rng = np.random.default_rng(16)
    out = [np.array([[2.5]]), np.array([[0.0]]), np.array([[-1.0]]), np.array([[np.nan]]), np.array([[np.inf]]),
           np.array([[1e-300]]), np.array([[1e300]])]
    # 2 x 2 with the smallest scaled eigenvalue 1 - rho on both sides of the tolerance 2 * RANK_RTOL
    tol = 2 * RANK_RTOL
    for gap in (0.0, 1e-17, 1e-16, tol / 4, tol / 2, tol * 0.999, tol, tol * 1.001, 1.5 * tol, 2 * tol,
                2.01 * tol, 3 * tol, 10 * tol, 1e-9, 1e-3, 0.5, 1.0, 1.9, 2.0):
        for scale in ((1.0, 1.0), (1e-6, 1e8), (3.0, 0.25)):
            d = np.sqrt(np.array(scale))
            out.append(correlation(1 - gap) * np.outer(d, d))
            out.append(correlation(-(1 - gap)) * np.outer(d, d))
    out += [np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([[1.0, 1.0 + 1e-9], [1.0 + 1e-9, 1.0]]),
            np.array([[0.0, 0.0], [0.0, 3.0]]), np.array([[4.0, 0.0], [0.0, -1.0]]),
            np.array([[1.0, np.nan], [np.nan, 1.0]]), np.array([[1.0, 0.3], [0.2, 1.0]]),  # not symmetric
            np.zeros((2, 2)), np.eye(2)]
    # larger: exactly collinear, nearly collinear and regular designs, as X'WX
    for p in (3, 4, 6):
        for eps in (0.0, 1e-14, 1e-10, 1e-6, 1e-2, 1.0):
            X = rng.normal(size=(40, p))
            X[:, -1] = X[:, 0] + eps * rng.normal(size=40)
            w = rng.random(40)
            out.append(X.T @ (X * w[:, None]))
        out.append(rng.normal(size=(p, p)))  # not positive semi-definite
        m = np.eye(p)
        m[0, 0] = 0.0
        out.append(m)
    return out


@pytest.mark.parametrize("m", matrices(), ids=lambda m: f"{m.shape[0]}x{m.shape[0]}")
def test_rank_equals_the_eigenvalue_count(m):
    assert information_rank(m) == eigen_rank(m)


def test_singular_and_regular_steps():
    assert solve_information(correlation(1.0), np.ones(2)) is None
    assert solve_information(correlation(1 - 1e-17), np.ones(2)) is None
    step = solve_information(np.array([[4.0, 1.0], [1.0, 3.0]]), np.array([1.0, 2.0]))
    assert np.allclose(step, np.linalg.solve([[4.0, 1.0], [1.0, 3.0]], [1.0, 2.0]), rtol=0, atol=1e-15)
    assert information_rank(correlation(1 - 3 * 2 * RANK_RTOL)) == 2 and information_rank(correlation(1.0)) == 1
