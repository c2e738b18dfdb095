"""Who each candidate site covers, and which sites to choose: greedy, and exact via HiGHS.

The coverage matrix is sparse, candidate × demand place, built from the travel-time layer's
pair costs (:func:`carecircles.traveltime.pair_costs`) with the assessment's inclusive
threshold rule, so the people a site is said to cover are those a re-assessment counts.
Maximal covering (MCLP: the most weight with k sites) and location set covering (LSCP: the
fewest sites covering everything coverable), as in PySAL spopt, on ``scipy.sparse``
matrices; the integer programs are solved by HiGHS through ``scipy.optimize.milp`` and
report what they proved: solver status, bound and gap, never an answer worse than greedy's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, sparse
from scipy.spatial import cKDTree

from carecircles.assessment import covered_mask
from carecircles.network import Network
from carecircles.standards import Standard
from carecircles.traveltime import pair_costs

#: Greedy never adds a site whose gain is at most this share of the total weight: round-off.
GAIN_TOLERANCE = 1e-9
#: Relative gap at which HiGHS may stop and call the answer optimal (its default is 1e-4).
MIP_REL_GAP = 1e-9
_SEARCH_MARGIN = 1e-3  # searched a little beyond the threshold; the assessment's rule decides

_STATUS = {0: "optimal", 1: "time limit", 2: "infeasible", 3: "unbounded"}


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


def as_cover(matrix: sparse.spmatrix | sparse.sparray | NDArray) -> sparse.csr_matrix:
    """Any boolean, integer or float coverage matrix as CSR float64 with a 1 per nonzero entry."""
    out = sparse.csr_matrix(matrix, dtype=np.float64, copy=True)
    out.eliminate_zeros()
    out.sum_duplicates()
    out.data[:] = 1.0
    return out


def _weights(weight: ArrayLike, n: int) -> NDArray[np.float64]:
    w = np.asarray(weight, dtype=np.float64).ravel()
    if w.shape != (n,):
        raise ValueError(f"weight has {w.size} values for {n} demand places")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and not negative")
    return w


def greedy_max_cover(
    matrix: sparse.spmatrix | sparse.sparray | NDArray,
    weight: ArrayLike,
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
        Candidate × demand coverage (sparse or dense; boolean, integer or float: nonzero
        means covered).
    weight
        Weight of each demand place (people, ≥ 0); places already covered should weigh 0.
    k
        Most sites (``None``: no limit).
    min_gain
        Stop when the best site adds less than this. A site whose gain is at most
        :data:`GAIN_TOLERANCE` × the total weight adds nothing (floating-point round-off,
        e.g. a second candidate covering the same places) and is never added.
    stop_at
        Stop once the covered weight reaches this.
    groups, required_groups
        With both: first give each required group (e.g. zone) one site of its own, the best
        candidate of that group, as long as one adds something.

    Returns
    -------
    tuple
        Chosen candidates in order, their marginal gains (the weight each newly covers,
        summed exactly), and why the selection stopped, as a code (``k_reached:<k>``,
        ``target_reached``, ``no_candidate``, ``below_outreach:<people>``) that the writers put
        into words (:func:`carecircles.labels.stop_reason_text`).
    """
    cover = as_cover(matrix)
    w = _weights(weight, cover.shape[1])
    nothing = GAIN_TOLERANCE * float(w.sum())
    by_column = cover.tocsc()
    gains = np.asarray(cover @ w, dtype=float).ravel()
    covered = np.zeros(cover.shape[1], dtype=bool)
    chosen: list[int] = []
    gained: list[float] = []
    total = 0.0
    pending = set(required_groups)

    def take(c: int) -> None:
        nonlocal total
        row = cover.indices[cover.indptr[c] : cover.indptr[c + 1]]
        new = row[~covered[row]]
        covered[new] = True
        gain = float(w[new].sum())  # exact, not the running estimate
        gained.append(gain)
        total += gain
        chosen.append(c)
        gains[:] -= np.asarray(by_column[:, new] @ w[new], dtype=float).ravel()
        gains[c] = -np.inf

    while groups is not None and pending and (k is None or len(chosen) < k):
        masked = np.where(np.isin(groups, list(pending)), gains, -np.inf)
        c = int(np.argmax(masked))
        if not np.isfinite(masked[c]) or masked[c] <= nothing:
            break
        pending.discard(int(groups[c]))
        take(c)
    reason = "no_candidate"
    while True:
        if k is not None and len(chosen) >= k:
            reason = f"k_reached:{k}"
            break
        if stop_at is not None and total >= stop_at - 1e-9:
            reason = "target_reached"
            break
        c = int(np.argmax(gains)) if len(gains) else 0
        if not len(gains) or gains[c] <= nothing:
            reason = "no_candidate"
            break
        if gains[c] < min_gain:
            reason = f"below_outreach:{min_gain:g}"
            break
        take(c)
    return chosen, gained, reason


def first_cover(
    matrix: sparse.spmatrix | sparse.sparray | NDArray, covered: NDArray[np.bool_], chosen: Sequence[int]
) -> NDArray[np.int64]:
    """Rank (in ``chosen``) of the site that first covers each place; ``-1``: none, or covered already."""
    cover = as_cover(matrix)
    owner = np.full(cover.shape[1], -1, dtype=np.int64)
    taken = np.asarray(covered, dtype=bool).copy()
    for rank, c in enumerate(chosen):
        row = cover.indices[cover.indptr[c] : cover.indptr[c + 1]]
        new = row[~taken[row]]
        taken[new] = True
        owner[new] = rank
    return owner


@dataclass(frozen=True)
class ExactCover:
    """What an exact covering solve found and what it proved.

    Attributes
    ----------
    problem
        ``MCLP`` (the most weight with ``k`` sites) or ``LSCP`` (the fewest sites covering
        every coverable weighted place).
    chosen
        Candidates of the best answer found (row indices of the matrix).
    objective
        Its value: weight covered (MCLP) or number of sites (LSCP).
    bound
        Proven bound on the optimum: at least ``objective`` for MCLP (the optimum is at most
        this), at most ``objective`` for LSCP (at least this many sites are needed). From
        HiGHS's dual bound where it gives one, tightened by simple counting bounds.
    gap
        ``|bound − objective| / objective`` (0 when proven; ``inf`` when the objective is 0
        and the bound is not).
    status
        The solver's outcome: ``optimal``, ``time limit``, ``infeasible``, ``unbounded``, or
        ``solver stopped: <message>``.
    proven
        Whether ``objective`` is proven optimal: the solver's own answer with status
        ``optimal``, or an answer that meets the bound.
    found_by
        Which answer is kept: ``solver`` (HiGHS's incumbent), ``greedy`` (better than the
        solver's, or the solver found none in time) or ``given`` (the caller's incumbent).
    seconds
        Wall time of the solver call.
    time_limit_s
        The solver's time limit.
    """

    problem: Literal["MCLP", "LSCP"]
    chosen: tuple[int, ...]
    objective: float
    bound: float
    gap: float
    status: str
    proven: bool
    found_by: str
    seconds: float
    time_limit_s: float

    def describe(self) -> str:
        """Say in a few words what is proven: ``proven optimal`` or ``not proven optimal within N s``."""
        if self.proven:
            return "proven optimal"
        return f"not proven optimal within {self.time_limit_s:g} s ({self.status})"


def _aggregate(cover: sparse.csr_matrix, weight: NDArray[np.float64]) -> tuple[sparse.csr_matrix, NDArray]:
    """Merge demand places covered by exactly the same candidates (smaller integer programs).

    Places of no weight or no candidate are left out. Groups are found by two random
    projections and then checked exactly; if a check failed they would not be merged.
    """
    useful = np.flatnonzero((weight > 0) & (np.diff(cover.tocsc().indptr) > 0))
    if len(useful) == 0:
        return sparse.csr_matrix((cover.shape[0], 0)), np.zeros(0)
    sub = cover[:, useful].tocsc()
    rng = np.random.default_rng(0)
    signature = np.column_stack([sub.T @ rng.random(sub.shape[0]) for _ in range(2)])
    _, group = np.unique(np.round(signature, 9), axis=0, return_inverse=True)
    group = group.ravel()
    first = np.zeros(group.max() + 1, dtype=np.int64)
    first[group[::-1]] = np.arange(len(group))[::-1]
    if (sub - sub[:, first[group]]).count_nonzero():  # two different columns merged: do not
        return sub.tocsr(), weight[useful]
    return sub[:, first].tocsr(), np.bincount(group, weights=weight[useful])


def _covered_weight(cover: sparse.csr_matrix, w: NDArray[np.float64], chosen: Sequence[int]) -> float:
    if not len(chosen):
        return 0.0
    return float(w[np.diff(cover[list(chosen)].tocsc().indptr) > 0].sum())


def _solve(problem: dict, time_limit_s: float) -> tuple[optimize.OptimizeResult, str, float]:
    start = time.perf_counter()
    result = optimize.milp(**problem, options={"time_limit": time_limit_s, "mip_rel_gap": MIP_REL_GAP})
    seconds = time.perf_counter() - start
    status = _STATUS.get(result.status, f"solver stopped: {result.message}")
    return result, status, seconds


def _dual_bound(result: optimize.OptimizeResult) -> float | None:
    bound = getattr(result, "mip_dual_bound", None)
    return float(bound) if bound is not None and np.isfinite(bound) else None


def exact_max_cover(
    matrix: sparse.spmatrix | sparse.sparray | NDArray,
    weight: ArrayLike,
    k: int,
    *,
    time_limit_s: float = 60.0,
    incumbent: Sequence[int] | None = None,
) -> ExactCover:
    """Maximal covering location problem (MCLP) as a mixed-integer program, solved by HiGHS.

    maximise Σ w_j y_j  subject to  y_j ≤ Σ_{i covers j} x_i,  Σ x_i ≤ k,  x binary, 0 ≤ y ≤ 1
    (``scipy.optimize.milp``, relative gap :data:`MIP_REL_GAP`). Greedy's answer (and
    ``incumbent``, when given) is the answer to beat: scipy's ``milp`` takes no starting
    solution, so when the solver stops at its time limit with a worse incumbent, or with none,
    the better answer is kept and ``found_by`` says whose it is. The bound is the smallest of
    HiGHS's dual bound, the weight of everything coverable and the ``k`` heaviest rows.
    """
    cover, w = _aggregate(as_cover(matrix), _weights(weight, np.shape(matrix)[1]))
    n_c, n_g = cover.shape
    answers: list[tuple[str, list[int]]] = []
    if n_g == 0 or k <= 0:
        return ExactCover("MCLP", (), 0.0, 0.0, 0.0, "optimal", True, "solver", 0.0, time_limit_s)
    links = sparse.hstack([-cover.T, sparse.identity(n_g)], format="csr")  # y_j - Σ x_i ≤ 0
    budget = sparse.csr_matrix(np.r_[np.ones(n_c), np.zeros(n_g)])
    result, status, seconds = _solve(
        {
            "c": np.r_[np.zeros(n_c), -w],
            "constraints": [
                optimize.LinearConstraint(links, -np.inf, 0.0),
                optimize.LinearConstraint(budget, 0, k),
            ],
            "integrality": np.r_[np.ones(n_c), np.zeros(n_g)],
            "bounds": optimize.Bounds(0, 1),
        },
        time_limit_s,
    )
    if result.x is not None:
        answers.append(("solver", [int(c) for c in np.flatnonzero(result.x[:n_c] > 0.5)]))
    answers.append(("greedy", greedy_max_cover(cover, w, k=k)[0]))
    if incumbent is not None:
        if len(incumbent) > k:
            raise ValueError(f"the incumbent has {len(incumbent)} sites, more than k = {k}")
        answers.append(("given", [int(c) for c in incumbent]))
    values = [_covered_weight(cover, w, chosen) for _, chosen in answers]
    best = int(np.argmax(values))  # ties: the solver's answer, then greedy's
    objective = values[best]
    row_weight = np.sort(np.asarray(cover @ w).ravel())[::-1]
    bounds = [float(w.sum()), float(row_weight[:k].sum())]
    dual = _dual_bound(result)
    if dual is not None:
        bounds.append(-dual)  # milp minimises −covered: its lower bound is our upper bound
    bound = max(min(bounds), objective)
    gap = (bound - objective) / objective if objective > 0 else (0.0 if bound <= 0 else math.inf)
    found_by = answers[best][0]
    proven = (status == "optimal" and found_by == "solver") or gap <= MIP_REL_GAP
    return ExactCover(
        "MCLP",
        tuple(answers[best][1]),
        objective,
        bound,
        gap,
        status,
        proven,
        found_by,
        seconds,
        time_limit_s,
    )


def exact_set_cover(
    matrix: sparse.spmatrix | sparse.sparray | NDArray,
    weight: ArrayLike,
    *,
    time_limit_s: float = 60.0,
    incumbent: Sequence[int] | None = None,
) -> ExactCover:
    """Location set covering (LSCP): fewest candidates covering every coverable weighted place.

    minimise Σ x_i  subject to  Σ_{i covers j} x_i ≥ 1 for every place j of weight > 0 that
    some candidate covers, x binary (HiGHS). Greedy's cover (and ``incumbent``, if it covers
    everything) is the answer to beat, as in :func:`exact_max_cover`; the bound (fewest sites
    that can do it) is the larger of HiGHS's dual bound rounded up and places ÷ the most any
    one candidate covers.
    """
    cover, _ = _aggregate(as_cover(matrix), _weights(weight, np.shape(matrix)[1]))
    n_c, n_g = cover.shape
    if n_g == 0:
        return ExactCover("LSCP", (), 0.0, 0.0, 0.0, "optimal", True, "solver", 0.0, time_limit_s)
    result, status, seconds = _solve(
        {
            "c": np.ones(n_c),
            "constraints": [optimize.LinearConstraint(cover.T.tocsr(), 1, np.inf)],
            "integrality": np.ones(n_c),
            "bounds": optimize.Bounds(0, 1),
        },
        time_limit_s,
    )
    everyone = np.ones(n_g)
    answers: list[tuple[str, list[int]]] = []
    if result.x is not None:
        answers.append(("solver", [int(c) for c in np.flatnonzero(result.x > 0.5)]))
    answers.append(("greedy", greedy_max_cover(cover, everyone, k=None)[0]))
    if incumbent is not None:
        answers.append(("given", sorted({int(c) for c in incumbent})))
    complete = [(who, chosen) for who, chosen in answers if _covered_weight(cover, everyone, chosen) == n_g]
    found_by, chosen = min(complete, key=lambda a: len(a[1]))  # greedy's always covers everything
    objective = float(len(chosen))
    most = int(np.diff(cover.indptr).max())
    bounds = [math.ceil(n_g / most)]
    dual = _dual_bound(result)
    if dual is not None:
        bounds.append(math.ceil(dual - 1e-6))  # a whole number of sites
    bound = float(min(max(bounds), objective))
    gap = (objective - bound) / objective
    proven = (status == "optimal" and found_by == "solver") or bound >= objective
    return ExactCover(
        "LSCP", tuple(chosen), objective, bound, gap, status, proven, found_by, seconds, time_limit_s
    )
