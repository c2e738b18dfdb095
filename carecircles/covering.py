"""Who each candidate site covers, and which sites to choose: greedy, and exact via HiGHS.

The coverage matrix is sparse, candidate × demand place, built from the travel-time layer's
pair costs (:func:`carecircles.traveltime.pair_costs`) with the assessment's inclusive
threshold rule, so the people a site is said to cover are those a re-assessment counts.
Maximal covering (MCLP: the most weight with k sites) and location set covering (LSCP: the
fewest sites covering everything coverable), as in PySAL spopt, on ``scipy.sparse``
matrices; the integer programs are solved by HiGHS through ``scipy.optimize.milp``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.spatial import cKDTree

from carecircles._errors import CareCirclesError
from carecircles.assessment import covered_mask
from carecircles.network import Network
from carecircles.standards import Standard
from carecircles.traveltime import pair_costs

_SEARCH_MARGIN = 1e-3  # searched a little beyond the threshold; the assessment's rule decides


def coverage_matrix(
    standard: Standard,
    network: Network,
    site_x: NDArray[np.float64],
    site_y: NDArray[np.float64],
    place_x: NDArray[np.float64],
    place_y: NDArray[np.float64],
    *,
    snap_radius_m: float,
    facility_snap_radius_m: float,
) -> sparse.csr_matrix:
    """Sparse 0/1 matrix (float64, CSR): site ``i`` covers place ``j`` under the standard.

    Time and road-distance standards: the pair cost of :func:`~carecircles.traveltime.pair_costs`
    (the walk to the road, the network, the walk to the door; for time standards also the
    straight walk within the snap radius, as the assessment allows) within the threshold by
    :func:`carecircles.assessment.covered_mask`. Straight-distance standards: pairs within the
    radius by the same rule.
    """
    site_x, site_y = np.asarray(site_x, dtype=float), np.asarray(site_y, dtype=float)
    place_x, place_y = np.asarray(place_x, dtype=float), np.asarray(place_y, dtype=float)
    shape = (len(site_x), len(place_x))
    if standard.metric == "distance" and standard.distance_kind == "straight":
        pairs = cKDTree(np.column_stack([site_x, site_y])).sparse_distance_matrix(
            cKDTree(np.column_stack([place_x, place_y])),
            standard.threshold + _SEARCH_MARGIN,
            output_type="coo_matrix",
        )
        keep = covered_mask(standard, pairs.data)
        return _ones(pairs.row[keep], pairs.col[keep], shape)
    time_standard = standard.metric == "time"
    rows, cols, cost = pair_costs(
        network,
        site_x,
        site_y,
        place_x,
        place_y,
        weight="seconds" if time_standard else "metres",
        limit=(standard.threshold_seconds if time_standard else standard.threshold) + _SEARCH_MARGIN,
        snap_radius_m=snap_radius_m,
        facility_snap_radius_m=facility_snap_radius_m,
        direct_walk=time_standard,  # road distances are measured on the road only
    )
    keep = covered_mask(standard, cost)
    return _ones(rows[keep], cols[keep], shape)


def _ones(rows: NDArray, cols: NDArray, shape: tuple[int, int]) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def first_cover(
    matrix: sparse.csr_matrix, covered: NDArray[np.bool_], chosen: Sequence[int]
) -> NDArray[np.int64]:
    """Rank (in ``chosen``) of the site that first covers each place; ``-1``: none, or covered already."""
    cover = matrix
    owner = np.full(cover.shape[1], -1, dtype=np.int64)
    taken = np.asarray(covered, dtype=bool).copy()
    for rank, c in enumerate(chosen):
        row = cover.indices[cover.indptr[c] : cover.indptr[c + 1]]
        new = row[~taken[row]]
        taken[new] = True
        owner[new] = rank
    return owner


def greedy_max_cover(
    matrix: sparse.csr_matrix,
    weight: NDArray[np.float64],
    *,
    k: int | None,
    min_gain: float = 0.0,
    stop_at: float | None = None,
    groups: NDArray[np.int64] | None = None,
    required_groups: Sequence[int] = (),
) -> tuple[list[int], list[float], str]:
    """Greedy maximal covering: repeatedly add the site that newly covers the most weight.

    Parameters
    ----------
    matrix
        Candidate × demand coverage (boolean, CSR).
    weight
        Weight of each demand place (people); places already covered should weigh 0.
    k
        Most sites (``None``: no limit).
    min_gain
        Stop when the best site adds less than this (and nothing when it adds nothing).
    stop_at
        Stop once the covered weight reaches this.
    groups, required_groups
        With both: first give each required group (e.g. zone) one site of its own, the best
        candidate of that group, as long as one adds something.

    Returns
    -------
    tuple
        Chosen candidates in order, their marginal gains, and why the selection stopped.
    """
    by_column = matrix.tocsc()
    gains = np.asarray(matrix @ weight, dtype=float).ravel()
    covered = np.zeros(matrix.shape[1], dtype=bool)
    chosen: list[int] = []
    gained: list[float] = []
    total = 0.0
    pending = set(required_groups)

    def take(c: int) -> None:
        nonlocal total
        row = matrix.indices[matrix.indptr[c] : matrix.indptr[c + 1]]
        new = row[~covered[row]]
        covered[new] = True
        gained.append(float(gains[c]))
        total += float(gains[c])
        chosen.append(c)
        gains[:] -= np.asarray(by_column[:, new] @ weight[new], dtype=float).ravel()
        gains[c] = -np.inf

    while groups is not None and pending and (k is None or len(chosen) < k):
        masked = np.where(np.isin(groups, list(pending)), gains, -np.inf)
        c = int(np.argmax(masked))
        if not np.isfinite(masked[c]) or masked[c] <= 0:
            break
        pending.discard(int(groups[c]))
        take(c)
    reason = "no candidate adds anyone"
    while True:
        if k is not None and len(chosen) >= k:
            reason = f"{k} sites reached"
            break
        if stop_at is not None and total >= stop_at - 1e-9:
            reason = "target share reached"
            break
        c = int(np.argmax(gains)) if len(gains) else 0
        if not len(gains) or gains[c] <= 0:
            reason = "no candidate adds anyone"
            break
        if gains[c] < min_gain:
            reason = f"best remaining site adds fewer than {min_gain:g} people"
            break
        take(c)
    return chosen, gained, reason


def _aggregate(matrix: sparse.csr_matrix, weight: NDArray[np.float64]) -> tuple[sparse.csr_matrix, NDArray]:
    """Merge demand places covered by exactly the same candidates (smaller integer programs)."""
    useful = np.flatnonzero((weight > 0) & (np.asarray(matrix.sum(axis=0)).ravel() > 0))
    if len(useful) == 0:
        return sparse.csr_matrix((matrix.shape[0], 0)), np.zeros(0)
    sub = matrix[:, useful].tocsc()
    rng = np.random.default_rng(0)
    signature = np.column_stack([sub.T @ rng.random(sub.shape[0]) for _ in range(2)])
    _, group = np.unique(np.round(signature, 9), axis=0, return_inverse=True)
    group = group.ravel()
    first = np.zeros(group.max() + 1, dtype=np.int64)
    first[group[::-1]] = np.arange(len(group))[::-1]
    return sub[:, first].tocsr(), np.bincount(group, weights=weight[useful])


def exact_max_cover(
    matrix: sparse.csr_matrix, weight: NDArray[np.float64], k: int, *, time_limit_s: float = 60.0
) -> tuple[list[int], float]:
    """Maximal covering location problem (MCLP) as a mixed-integer program, solved by HiGHS.

    maximise Σ w_j y_j  subject to  y_j ≤ Σ_{i covers j} x_i,  Σ x_i ≤ k,  x binary, 0 ≤ y ≤ 1
    (``scipy.optimize.milp``). Returns the chosen candidates and the covered weight (optimal
    unless the time limit was hit).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    cover, w = _aggregate(matrix, weight)
    n_c, n_g = cover.shape
    if n_g == 0:
        return [], 0.0
    links = sparse.hstack([-cover.T, sparse.identity(n_g)], format="csr")  # y_j - Σ x_i ≤ 0
    budget = sparse.csr_matrix(np.r_[np.ones(n_c), np.zeros(n_g)])
    solution = milp(
        c=np.r_[np.zeros(n_c), -w],
        constraints=[LinearConstraint(links, -np.inf, 0.0), LinearConstraint(budget, 0, k)],
        integrality=np.r_[np.ones(n_c), np.zeros(n_g)],
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s},
    )
    if solution.x is None:
        raise CareCirclesError(f"the covering program found no solution: {solution.message}")
    chosen = [int(c) for c in np.flatnonzero(solution.x[:n_c] > 0.5)]
    covered = np.asarray(cover[chosen].sum(axis=0)).ravel() > 0 if chosen else np.zeros(n_g, bool)
    return chosen, float(w[covered].sum())


def exact_set_cover(
    matrix: sparse.csr_matrix, weight: NDArray[np.float64], *, time_limit_s: float = 60.0
) -> list[int]:
    """Location set covering (LSCP): fewest candidates covering every coverable weighted place (HiGHS)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    cover, _ = _aggregate(matrix, weight)
    n_c, n_g = cover.shape
    if n_g == 0:
        return []
    solution = milp(
        c=np.ones(n_c),
        constraints=[LinearConstraint(cover.T.tocsr(), 1, np.inf)],
        integrality=np.ones(n_c),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s},
    )
    if solution.x is None:
        raise CareCirclesError(f"the set-covering program found no solution: {solution.message}")
    return [int(c) for c in np.flatnonzero(solution.x > 0.5)]
