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
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, sparse
from scipy.sparse import csgraph

from carecircles.assessment import covered_limit, covered_mask
from carecircles.network import Network
from carecircles.node_cover import NodeCover
from carecircles.standards import Standard
from carecircles.traveltime import NodeGroups, node_reach, pairs_within, ranges

#: Greedy never adds a site whose gain is at most this share of the total weight: round-off.
GAIN_TOLERANCE = 1e-9
#: Relative gap at which HiGHS may stop and call the answer optimal (its default is 1e-4).
MIP_REL_GAP = 1e-9
_SEARCH_MARGIN = 1e-3  # searched a little beyond the threshold; the assessment's rule decides

_STATUS = {0: "optimal", 1: "time limit", 2: "infeasible", 3: "unbounded"}
#: Most nonzeros of an integer program handed to HiGHS. Beyond this HiGHS (through scipy) does
#: not keep to its time limit while it sets the model up; the Lagrangian bound stands alone.
SOLVER_MAX_NONZEROS = 2_000_000
TOO_LARGE = "too large for the solver"


def coverage(
    standard: Standard,
    network: Network,
    site_x: NDArray[np.float64],
    site_y: NDArray[np.float64],
    place_x: NDArray[np.float64],
    place_y: NDArray[np.float64],
    *,
    snap_radius_m: float,
    facility_snap_radius_m: float,
    search_from: Literal["auto", "places", "sources"] = "auto",
) -> NodeCover:
    """Which places each site covers under the standard, kept per road node (:class:`NodeCover`).

    Time and road-distance standards: the walk to the road, the network, the walk to the door
    (:func:`~carecircles.traveltime.node_reach`, the same sums as
    :func:`~carecircles.traveltime.pair_costs`; for time standards also the straight walk
    within the snap radius, as the assessment allows), within the threshold by the rule of
    :func:`carecircles.assessment.covered_mask`. Straight-distance standards: pairs within the
    radius by the same rule, each place a run of its own.
    """
    site_x, site_y = np.asarray(site_x, dtype=float), np.asarray(site_y, dtype=float)
    place_x, place_y = np.asarray(place_x, dtype=float), np.asarray(place_y, dtype=float)
    shape = (len(site_x), len(place_x))
    if standard.metric == "distance" and standard.distance_kind == "straight":
        row, col, distance = pairs_within(
            site_x, site_y, place_x, place_y, standard.threshold + _SEARCH_MARGIN
        )
        keep = covered_mask(standard, distance)
        return NodeCover.from_matrix(_ones(row[keep], col[keep], shape))
    time_standard = standard.metric == "time"
    reach = node_reach(
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
        search_from=search_from,
    )
    return NodeCover.from_reach(reach, len(site_x), covered_limit(standard))


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
    """Return the sparse 0/1 matrix (float64, CSR) of :func:`coverage`: site ``i`` covers place ``j``."""
    return coverage(
        standard,
        network,
        site_x,
        site_y,
        place_x,
        place_y,
        snap_radius_m=snap_radius_m,
        facility_snap_radius_m=facility_snap_radius_m,
    ).matrix()


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


Coverage: TypeAlias = sparse.spmatrix | sparse.sparray | NDArray | NodeCover


def as_node_cover(matrix: Coverage) -> NodeCover:
    """Any coverage: a :class:`~carecircles.node_cover.NodeCover` as is, a matrix as runs of one place."""
    return matrix if isinstance(matrix, NodeCover) else NodeCover.from_matrix(as_cover(matrix))


class _Greedy:
    """What each site would newly cover, kept up to date as sites are taken."""

    def __init__(self, cover: NodeCover, weight: NDArray[np.float64]) -> None:
        self.cover, self.w = cover, weight
        self.by_run = cover.by_run()
        self.done = np.zeros(cover.n_runs, dtype=np.int64)  # places of each run covered so far
        self.gains = cover.site_weights(weight)

    def take(self, c: int) -> tuple[NDArray[np.int64], float]:
        """Take site ``c``; return the places it newly covers and their weight (summed exactly)."""
        cover = self.cover
        _, run, count = cover.rows(np.array([c]))
        grows = count > self.done[run]
        run, new = run[grows], count[grows]
        old = self.done[run]
        newly = cover.places(run, old, new)
        # every site covering some of those places gains that much less
        start, site, reach = self.by_run
        size = start[run + 1] - start[run]
        at = ranges(start[run], size)
        lo = np.minimum(reach[at], np.repeat(old, size))
        hi = np.minimum(reach[at], np.repeat(new, size))
        lost = cover.places(np.repeat(run, size), lo, hi)
        self.gains -= np.bincount(
            np.repeat(site[at], np.maximum(hi - lo, 0)), weights=self.w[lost], minlength=cover.n_sites
        )
        self.done[run] = new
        self.gains[c] = -np.inf
        return newly, float(self.w[newly].sum())


def greedy_max_cover(
    matrix: Coverage,
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
        Candidate × demand coverage: a :class:`~carecircles.node_cover.NodeCover`, or a sparse
        or dense matrix (boolean, integer or float: nonzero means covered).
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
    cover = as_node_cover(matrix)
    w = _weights(weight, cover.n_places)
    nothing = GAIN_TOLERANCE * float(w.sum())
    state = _Greedy(cover, w)
    gains = state.gains
    chosen: list[int] = []
    gained: list[float] = []
    total = 0.0
    pending = set(required_groups)

    def take(c: int) -> None:
        nonlocal total
        _, gain = state.take(c)  # exact, not the running estimate
        gained.append(gain)
        total += gain
        chosen.append(c)

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


def max_cover_bound(matrix: Coverage, weight: ArrayLike, k: int, chosen: Sequence[int]) -> float:
    """Upper bound on what ``k`` sites can cover, from a greedy run (proven, in seconds).

    Coverage is submodular, so for any set S of sites the best ``k`` cover at most what S
    covers plus the ``k`` largest gains any site would still add to S (Nemhauser, Wolsey and
    Fisher 1978). Taken after each of the chosen sites in turn; the smallest is returned.
    """
    cover = as_node_cover(matrix)
    w = _weights(weight, cover.n_places)
    state = _Greedy(cover, w)
    covered, best = 0.0, math.inf
    for c in [*chosen, None]:
        open_gains = np.maximum(state.gains[np.isfinite(state.gains)], 0.0)
        top = np.partition(open_gains, len(open_gains) - k)[-k:] if len(open_gains) > k else open_gains
        best = min(best, covered + float(top.sum()))
        if c is not None:
            covered += state.take(int(c))[1]
    return best


def first_cover(matrix: Coverage, covered: NDArray[np.bool_], chosen: Sequence[int]) -> NDArray[np.int64]:
    """Rank (in ``chosen``) of the site that first covers each place; ``-1``: none, or covered already."""
    cover = as_node_cover(matrix)
    owner = np.full(cover.n_places, -1, dtype=np.int64)
    taken = np.asarray(covered, dtype=bool).copy()
    done = np.zeros(cover.n_runs, dtype=np.int64)
    for rank, c in enumerate(chosen):
        _, run, count = cover.rows(np.array([c]))
        grows = count > done[run]
        newly = cover.places(run[grows], done[run[grows]], count[grows])
        done[run[grows]] = count[grows]
        newly = newly[~taken[newly]]
        taken[newly] = True
        owner[newly] = rank
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
        solver's, or the solver found none in time), ``given`` (the caller's incumbent) or
        ``lagrangian`` (sites met by :func:`lagrangian_max_cover`).
    seconds
        Wall time of the solver calls.
    time_limit_s
        The time limit of all the solver calls together.
    parts
        Independent parts solved one by one (set covering splits where no site and no place
        link two parts; maximal covering, with one budget of sites, does not).
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
    parts: int = 1

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


def _program(matrix: Coverage, weight: ArrayLike) -> tuple[NodeCover, NDArray[np.float64]]:
    """Return the cover an integer program is built on (a matrix's identical places merged first)."""
    if isinstance(matrix, NodeCover):
        return matrix, _weights(weight, matrix.n_places)
    cover = as_cover(matrix)
    merged, w = _aggregate(cover, _weights(weight, cover.shape[1]))
    return NodeCover.from_matrix(merged), w


def _covered_weight(cover: NodeCover, w: NDArray[np.float64], chosen: Sequence[int]) -> float:
    if not len(chosen):
        return 0.0
    return float(w[first_cover(cover, np.zeros(cover.n_places, dtype=bool), chosen) >= 0].sum())


def _solve(problem: dict, time_limit_s: float) -> tuple[optimize.OptimizeResult, str, float]:
    start = time.perf_counter()
    result = optimize.milp(**problem, options={"time_limit": time_limit_s, "mip_rel_gap": MIP_REL_GAP})
    seconds = time.perf_counter() - start
    status = _STATUS.get(result.status, f"solver stopped: {result.message}")
    return result, status, seconds


def _dual_bound(result: optimize.OptimizeResult) -> float | None:
    bound = getattr(result, "mip_dual_bound", None)
    return float(bound) if bound is not None and np.isfinite(bound) else None


@dataclass(frozen=True)
class _Levels:
    """The distinct prefixes of each run: level ``l`` holds the run's places ``lower:count``."""

    run: NDArray[np.int64]
    count: NDArray[np.int64]
    of_entry: NDArray[np.int64]  # the level of each entry of the cover
    weight: NDArray[np.float64]
    deeper: NDArray[np.int64]  # the next level of the same run, -1 for the deepest


def _levels(cover: NodeCover, w: NDArray[np.float64]) -> _Levels:
    span = int(cover.count.max(initial=0)) + 1
    key, of_entry = np.unique(cover.run * span + cover.count, return_inverse=True)
    run, count = key // span, key % span
    same = np.r_[False, run[1:] == run[:-1]]
    lower = np.where(same, np.r_[0, count[:-1]], 0)
    deeper = np.where(np.r_[same[1:], False], np.arange(len(key)) + 1, -1)
    places = cover.places(run, lower, count)
    weight = np.bincount(np.repeat(np.arange(len(key)), count - lower), weights=w[places], minlength=len(key))
    return _Levels(run, count, of_entry.ravel(), weight.astype(np.float64), deeper)


def _times_covered(cover: NodeCover, sites: NDArray[np.int64]) -> NDArray[np.int64]:
    """Return, per place, how many of ``sites`` cover it."""
    _, run, count = cover.rows(np.asarray(sites, dtype=np.int64))
    return np.bincount(cover.places(run, np.zeros(len(run), dtype=np.int64), count), minlength=cover.n_places)


def lagrangian_max_cover(
    cover: NodeCover,
    w: NDArray[np.float64],
    k: int,
    known: float,
    *,
    seconds: float = 10.0,
    rounds: int = 200,
) -> tuple[float, list[int], float]:
    """Upper bound on what ``k`` sites cover, by Lagrangian relaxation; and the best sites met.

    Relaxing "a place counts only when a chosen site covers it" with a price ``λ ≥ 0`` per
    place leaves Σ max(0, w − λ) + the ``k`` sites of most λ covered: an upper bound for
    every λ (the linear-programming bound at the best λ). Starting from λ = w (the ``k``
    heaviest rows) the prices follow subgradient steps towards ``known`` (a value some sites
    reach) for ``rounds`` steps or ``seconds``. Each step's ``k`` sites are a solution too.

    Returns
    -------
    tuple
        The smallest bound, the best sites met and what they cover.
    """
    start = time.perf_counter()
    price = w.copy()
    bound, best, best_sites = math.inf, -math.inf, []
    step, stale = 2.0, 0
    for _ in range(rounds):
        worth = cover.site_weights(price)
        top = np.argsort(-worth, kind="stable")[:k] if cover.n_sites > k else np.arange(cover.n_sites)
        value = float(np.maximum(w - price, 0.0).sum() + worth[top].sum())
        if not math.isfinite(bound) or value < bound - 1e-9 * max(bound, 1.0):
            bound, stale = value, 0
        else:
            stale += 1
            if stale >= 5:
                step, stale = step / 2, 0
        times = _times_covered(cover, top)
        reached = float(w[times > 0].sum())
        if reached > best:
            best, best_sites = reached, [int(c) for c in top]
        slope = times - (w > price)
        norm = float((slope * slope).sum())
        target = max(known, best)
        if (
            norm == 0
            or bound - target <= MIP_REL_GAP * max(target, 1.0)
            or time.perf_counter() - start > seconds
        ):
            break
        price = np.maximum(price - step * (value - target) / norm * slope, 0.0)
    return bound, best_sites, best


def lagrangian_set_cover(
    cover: sparse.csr_matrix, upper: int, *, seconds: float = 10.0, rounds: int = 200
) -> float:
    """Lower bound on the sites covering every place of a set cover (sites × places).

    By Lagrangian relaxation of "every place covered": with a price ``μ ≥ 0`` per place, at
    least Σ μ + Σ over sites of min(0, 1 − the μ it covers) sites are needed, for every μ.
    Subgradient steps towards ``upper`` (the sites some cover takes).
    """
    start = time.perf_counter()
    by_place = cover.T.tocsr()
    sizes = np.asarray(cover.sum(axis=1)).ravel()
    price = np.asarray(by_place @ np.where(sizes > 0, 1.0 / np.maximum(sizes, 1), 0.0)).ravel()
    price = price / np.maximum(np.asarray(by_place.sum(axis=1)).ravel(), 1.0)
    best, step, stale = 0.0, 2.0, 0
    for _ in range(rounds):
        reduced = 1.0 - np.asarray(cover @ price).ravel()
        value = float(price.sum() + np.minimum(reduced, 0.0).sum())
        if value > best + 1e-9:
            best, stale = value, 0
        else:
            stale += 1
            if stale >= 5:
                step, stale = step / 2, 0
        slope = 1.0 - np.asarray(by_place @ (reduced < 0).astype(float)).ravel()
        norm = float((slope * slope).sum())
        if norm == 0 or math.ceil(best - 1e-6) >= upper or time.perf_counter() - start > seconds:
            break
        price = np.maximum(price + step * (upper - value) / norm * slope, 0.0)
    return best


def _max_cover_model(cover: NodeCover, levels: _Levels, k: int) -> dict:
    """Return maximal covering on the prefixes of runs, as ``scipy.optimize.milp`` arguments.

    Variables: x (sites, binary), s (levels: the chosen sites covering each), y (levels, 0–1).
    """
    n_c, n_l = cover.n_sites, len(levels.weight)
    chained = np.flatnonzero(levels.deeper >= 0)
    counts = sparse.csr_matrix(  # s_l − s_l' − Σ x_i = 0
        (
            np.r_[-np.ones(len(cover.run)), np.ones(n_l), -np.ones(len(chained))],
            (
                np.r_[levels.of_entry, np.arange(n_l), chained],
                np.r_[cover.site, n_c + np.arange(n_l), n_c + levels.deeper[chained]],
            ),
        ),
        shape=(n_l, n_c + 2 * n_l),
    )
    caps = sparse.csr_matrix(  # y_l − s_l ≤ 0
        (
            np.r_[np.ones(n_l), -np.ones(n_l)],
            (np.r_[np.arange(n_l), np.arange(n_l)], np.r_[n_c + n_l + np.arange(n_l), n_c + np.arange(n_l)]),
        ),
        shape=(n_l, n_c + 2 * n_l),
    )
    budget = sparse.csr_matrix(np.r_[np.ones(n_c), np.zeros(2 * n_l)])
    return {
        "c": np.r_[np.zeros(n_c + n_l), -levels.weight],
        "constraints": [
            optimize.LinearConstraint(counts, 0.0, 0.0),
            optimize.LinearConstraint(caps, -np.inf, 0.0),
            optimize.LinearConstraint(budget, 0, k),
        ],
        "integrality": np.r_[np.ones(n_c), np.zeros(2 * n_l)],
        "bounds": optimize.Bounds(0, np.r_[np.ones(n_c), np.full(n_l, np.inf), np.ones(n_l)]),
    }


def exact_max_cover(
    matrix: Coverage,
    weight: ArrayLike,
    k: int,
    *,
    time_limit_s: float = 60.0,
    incumbent: Sequence[int] | None = None,
) -> ExactCover:
    """Maximal covering location problem (MCLP) as a mixed-integer program, solved by HiGHS.

    maximise Σ w_l y_l  subject to  y_l ≤ s_l,  s_l = s_l' + Σ_{sites covering exactly the
    prefix l} x_i (l' the next deeper prefix of the same run),  Σ x_i ≤ k,  x binary,
    0 ≤ y ≤ 1 (``scipy.optimize.milp``, relative gap :data:`MIP_REL_GAP`). ``s_l`` counts the
    chosen sites covering prefix ``l``: one nonzero per (site, run), not per (site, place).
    Greedy's answer (and ``incumbent``, when given) is the answer to beat: scipy's ``milp``
    takes no starting solution, so when the solver stops at its time limit with a worse
    incumbent, or with none, the better answer is kept and ``found_by`` says whose it is.
    The bound is the smallest of HiGHS's dual bound, greedy's (:func:`max_cover_bound`), the
    weight of everything coverable and the ``k`` heaviest rows.
    """
    cover, w = _program(matrix, weight)
    coverable = float(w[cover.reachable()].sum())
    if coverable == 0 or k <= 0:
        return ExactCover("MCLP", (), 0.0, 0.0, 0.0, "optimal", True, "solver", 0.0, time_limit_s)
    if incumbent is not None and len(incumbent) > k:
        raise ValueError(f"the incumbent has {len(incumbent)} sites, more than k = {k}")
    levels = _levels(cover, w)
    greedy = greedy_max_cover(cover, w, k=k)[0]
    answers: list[tuple[str, list[int]]] = []
    result, status, seconds = None, TOO_LARGE, 0.0
    n_c, n_l = cover.n_sites, len(levels.weight)
    if len(cover.run) + 5 * n_l + n_c <= SOLVER_MAX_NONZEROS:  # the model's nonzeros, at most
        result, status, seconds = _solve(_max_cover_model(cover, levels, k), time_limit_s)
        if result.x is not None:
            answers.append(("solver", [int(c) for c in np.flatnonzero(result.x[:n_c] > 0.5)]))
    answers.append(("greedy", greedy))
    if incumbent is not None:
        answers.append(("given", [int(c) for c in incumbent]))
    values = [_covered_weight(cover, w, chosen) for _, chosen in answers]
    lagrange_s = time_limit_s if result is None else min(0.25 * time_limit_s, 10.0)
    relaxed, sites, reached = lagrangian_max_cover(cover, w, k, max(values), seconds=lagrange_s)
    answers.append(("lagrangian", sites))
    values.append(reached)
    best = int(np.argmax(values))  # ties: the solver's answer, then greedy's
    objective = values[best]
    row_weight = np.sort(cover.site_weights(w))[::-1]
    bounds = [coverable, float(row_weight[:k].sum()), max_cover_bound(cover, w, k, greedy), relaxed]
    dual = None if result is None else _dual_bound(result)
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


def _to_cover_all(cover: NodeCover, w: NDArray[np.float64]) -> sparse.csr_matrix:
    """Sites × runs: a site counts for a run when it covers the run's last weighted place any site covers."""
    most = cover.deepest()
    run_of = np.repeat(np.arange(cover.n_runs), np.diff(cover.run_start))
    position = np.arange(len(cover.order)) - cover.run_start[run_of]
    weighted = (w[cover.order] > 0) & (position < most[run_of])
    need = np.zeros(cover.n_runs, dtype=np.int64)
    np.maximum.at(need, run_of[weighted], position[weighted] + 1)
    row = np.full(cover.n_runs, -1, dtype=np.int64)
    row[need > 0] = np.arange(int((need > 0).sum()))
    enough = (need[cover.run] > 0) & (cover.count >= need[cover.run])
    return _ones(cover.site[enough], row[cover.run[enough]], (cover.n_sites, int((need > 0).sum())))


def _parts(cover: sparse.csr_matrix) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Split a set cover into independent parts (sites, places), smallest first.

    Sites that cover nothing are left out.
    """
    n_c, n_g = cover.shape
    graph = sparse.bmat([[None, cover], [cover.T, None]], format="csr")
    _, label = csgraph.connected_components(graph, directed=False)
    site_label, place_label = label[:n_c], label[n_c:]
    used = np.flatnonzero(np.diff(cover.indptr) > 0)
    sites = NodeGroups(site_label[used], used)
    places = NodeGroups(place_label, np.arange(n_g))
    parts = []
    for part in np.unique(place_label):
        parts.append((sites.at(np.array([part]))[1], places.at(np.array([part]))[1]))
    return sorted(parts, key=lambda p: len(p[0]) * len(p[1]))


def exact_set_cover(
    matrix: Coverage,
    weight: ArrayLike,
    *,
    time_limit_s: float = 60.0,
    incumbent: Sequence[int] | None = None,
) -> ExactCover:
    """Location set covering (LSCP): fewest candidates covering every coverable weighted place.

    minimise Σ x_i  subject to  Σ_{i covers j} x_i ≥ 1 for every place j of weight > 0 that
    some candidate covers, x binary (HiGHS). A run needs only its last weighted place covered
    (a prefix that holds it holds the others). The problem splits into parts no site links,
    solved one by one, smallest first, each with an even share of the time left. In each
    part greedy's cover (and ``incumbent``'s, if it covers the part) is the answer to beat, as
    in :func:`exact_max_cover`; the bound (fewest sites that can do it) is, summed over the
    parts, the largest of HiGHS's dual bound rounded up (for a part too large for HiGHS:
    :func:`lagrangian_set_cover`'s) and places ÷ the most any one candidate covers.
    """
    cover, w = _program(matrix, weight)
    everything = _to_cover_all(cover, w)
    merged, _ = _aggregate(everything, np.ones(everything.shape[1]))
    if merged.shape[1] == 0:
        return ExactCover("LSCP", (), 0.0, 0.0, 0.0, "optimal", True, "solver", 0.0, time_limit_s)
    given = None if incumbent is None else {int(c) for c in incumbent}
    parts = _parts(merged)
    start = time.perf_counter()
    chosen: list[int] = []
    bound, seconds, statuses, sources, proven = 0.0, 0.0, [], [], True
    for i, (sites, places) in enumerate(parts):
        sub = merged[sites][:, places].tocsr()
        left = time_limit_s - (time.perf_counter() - start)
        mine = None if given is None else [j for j, c in enumerate(sites) if int(c) in given]
        part = _cover_part(sub, max(left, 0.0) / (len(parts) - i), mine)
        chosen.extend(int(sites[j]) for j in part.chosen)
        bound += part.bound
        seconds += part.seconds
        statuses.append(part.status)
        sources.append(part.found_by)
        proven = proven and part.proven
    objective = float(len(chosen))
    status = next((s for s in statuses if s != "optimal"), "optimal")
    found_by = next((f for f in sources if f != "solver"), "solver")
    gap = (objective - bound) / objective
    return ExactCover(
        "LSCP",
        tuple(sorted(chosen)),
        objective,
        bound,
        gap,
        status,
        proven,
        found_by,
        seconds,
        time_limit_s,
        len(parts),
    )


def _cover_part(cover: sparse.csr_matrix, time_limit_s: float, incumbent: list[int] | None) -> ExactCover:
    """Set cover of one part (every place must be covered), within its time."""
    n_c, n_g = cover.shape
    sizes = np.diff(cover.indptr)
    most = int(sizes.max())
    if most == n_g:  # one site covers the part
        return ExactCover(
            "LSCP", (int(np.argmax(sizes)),), 1.0, 1.0, 0.0, "optimal", True, "solver", 0.0, time_limit_s
        )
    answers: list[tuple[str, list[int]]] = []
    status, seconds, dual = "time limit", 0.0, None
    too_large = cover.nnz > SOLVER_MAX_NONZEROS
    if too_large:
        status = TOO_LARGE
    elif time_limit_s > 0.01:
        result, status, seconds = _solve(
            {
                "c": np.ones(n_c),
                "constraints": [optimize.LinearConstraint(cover.T.tocsr(), 1, np.inf)],
                "integrality": np.ones(n_c),
                "bounds": optimize.Bounds(0, 1),
            },
            time_limit_s,
        )
        if result.x is not None:
            answers.append(("solver", [int(c) for c in np.flatnonzero(result.x > 0.5)]))
        dual = _dual_bound(result)
    everyone = np.ones(n_g)
    node_cover = NodeCover.from_matrix(cover)
    answers.append(("greedy", greedy_max_cover(node_cover, everyone, k=None)[0]))
    if incumbent is not None:
        answers.append(("given", sorted(incumbent)))
    complete = [
        (who, chosen) for who, chosen in answers if _covered_weight(node_cover, everyone, chosen) == n_g
    ]
    found_by, chosen = min(complete, key=lambda a: len(a[1]))  # greedy's always covers everything
    objective = float(len(chosen))
    bounds = [math.ceil(n_g / most)]
    if dual is not None:
        bounds.append(math.ceil(dual - 1e-6))  # a whole number of sites
    if too_large:
        bounds.append(math.ceil(lagrangian_set_cover(cover, len(chosen), seconds=time_limit_s) - 1e-6))
    bound = float(min(max(bounds), objective))
    proven = (status == "optimal" and found_by == "solver") or bound >= objective
    return ExactCover(
        "LSCP",
        tuple(chosen),
        objective,
        bound,
        (objective - bound) / objective,
        status,
        proven,
        found_by,
        seconds,
        time_limit_s,
    )
