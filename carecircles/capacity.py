"""Capacity-aware access: the enhanced two-step floating catchment (E2SFCA), per place and per zone.

Facilities ``i`` hold a supply ``S_i`` (beds, doctors); places ``j`` (population cells, villages)
hold ``P_j`` people; the travel time ``t_ij`` (seconds) of each facility×place pair within the
catchment threshold weighs the pair by a distance decay ``W`` (:class:`Decay`). Then

* step 1, the supply-to-demand ratio of each facility: ``R_i = S_i / Σ_j W(t_ij) P_j``;
* step 2, the access of each place: ``A_j = Σ_i W(t_ij) R_i``.

Both are reported in **resources per 1,000 residents** (``R`` and ``A`` times 1,000). With all
weights 1 this is the two-step floating catchment (2SFCA) of Luo & Wang (2003). For any decay,
``Σ_j A_j P_j / 1000`` is the supply of the facilities whose catchment holds anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from carecircles.network import Network
from carecircles.population import PopulationCells
from carecircles.traveltime import pair_costs

#: Access and ratios are given per this many residents.
PER_RESIDENTS = 1000.0

#: Luo & Qi (2009) weights of the three equal sub-zones of the threshold.
LUO_QI_WEIGHTS = (1.0, 0.68, 0.22)


@dataclass(frozen=True)
class Decay:
    """A distance decay ``W(t)`` within a catchment threshold; travel time ``t`` in seconds.

    Stepwise: ``W(t) = weights[k]`` for ``bounds_s[k-1] < t <= bounds_s[k]`` — upper bounds are
    inclusive, as the tool's thresholds are, so a place at exactly 10:00 of a 10/20/30-minute
    decay is in the first band. With ``sigma_s`` set (one band only), the decay is instead the
    continuous Gaussian ``W(t) = exp(-t² / (2 sigma_s²))`` up to the threshold. Beyond the
    threshold, ``W = 0``.

    Parameters
    ----------
    threshold_s : float
        The catchment threshold in seconds (inclusive).
    bounds_s : tuple of float
        Upper bounds of the bands in seconds, strictly increasing; the last equals ``threshold_s``.
    weights : tuple of float
        Weight of each band, in (0, 1] and non-increasing.
    sigma_s : float or None
        Width of the continuous Gaussian decay in seconds, or None for the stepwise decay.

    Raises
    ------
    ValueError
        If the bands or weights break any of these rules.
    """

    threshold_s: float
    bounds_s: tuple[float, ...]
    weights: tuple[float, ...]
    sigma_s: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold_s", float(self.threshold_s))
        object.__setattr__(self, "bounds_s", tuple(float(x) for x in np.atleast_1d(self.bounds_s)))
        object.__setattr__(self, "weights", tuple(float(x) for x in np.atleast_1d(self.weights)))
        b, w = np.asarray(self.bounds_s, float), np.asarray(self.weights, float)
        if b.ndim != 1 or b.size == 0 or b.shape != w.shape:
            raise ValueError(f"decay: need as many weights as bands, got {b.size} bounds, {w.size} weights")
        if not (np.isfinite(self.threshold_s) and self.threshold_s > 0):
            raise ValueError(f"decay: threshold must be a positive number of seconds, got {self.threshold_s}")
        if not (np.all(np.isfinite(b)) and b[0] > 0 and np.all(np.diff(b) > 0)):
            raise ValueError(f"decay: band bounds must be positive and strictly increasing, got {b.tolist()}")
        if b[-1] != self.threshold_s:
            raise ValueError(
                f"decay: last band bound {b[-1]} s must equal the threshold {self.threshold_s} s"
            )
        if not np.all((w > 0) & (w <= 1)):
            raise ValueError(f"decay: weights must be in (0, 1], got {w.tolist()}")
        if np.any(np.diff(w) > 0):
            raise ValueError(f"decay: weights must not increase with travel time, got {w.tolist()}")
        if self.sigma_s is not None and not (np.isfinite(self.sigma_s) and self.sigma_s > 0 and b.size == 1):
            raise ValueError(f"decay: Gaussian needs one band and a positive sigma, got {self.sigma_s}")

    @classmethod
    def luo_qi(cls, threshold_s: float) -> Decay:
        """Three equal sub-zones of the threshold weighted 1.00, 0.68 and 0.22.

        These are the Gaussian-derived weights of the 0–10, 10–20 and 20–30 minute sub-zones
        of Luo, W. & Qi, Y. (2009), "An enhanced two-step floating catchment area (E2SFCA)
        method for measuring spatial accessibility to primary care physicians", *Health &
        Place* 15(4), 1100–1107, scaled to any threshold; they are also the default of the
        PySAL ``access`` package.

        Parameters
        ----------
        threshold_s : float
            The catchment threshold in seconds.

        Returns
        -------
        Decay
            Bands ending at 1/3, 2/3 and all of the threshold.
        """
        t = float(threshold_s)
        return cls(t, (t / 3, 2 * t / 3, t), LUO_QI_WEIGHTS)

    @classmethod
    def flat(cls, threshold_s: float) -> Decay:
        """Weight 1 up to the threshold: the plain two-step floating catchment (2SFCA)."""
        return cls(float(threshold_s), (float(threshold_s),), (1.0,))

    @classmethod
    def gaussian(cls, threshold_s: float, sigma_s: float) -> Decay:
        """Continuous ``exp(-t² / (2 sigma²))`` up to the threshold (``W(0) = 1``), 0 beyond."""
        return cls(float(threshold_s), (float(threshold_s),), (1.0,), float(sigma_s))

    def weight(self, cost_s: ArrayLike) -> NDArray[np.float64]:
        """Weight of each travel time ``cost_s`` in seconds (0 beyond the threshold and for ``inf``)."""
        t = np.asarray(cost_s, dtype=float)
        if self.sigma_s is not None:
            inside = np.minimum(t, self.threshold_s)
            return np.where(t <= self.threshold_s, np.exp(-(inside**2) / (2 * self.sigma_s**2)), 0.0)
        # side="left" counts the bounds strictly below t: t equal to a bound stays in that band.
        band = np.searchsorted(np.asarray(self.bounds_s, float), t, side="left")
        return np.append(np.asarray(self.weights, float), 0.0)[band]


def _pair_weights(
    n_facilities: int, n_places: int, rows: ArrayLike, cols: ArrayLike, cost: ArrayLike, decay: Decay
) -> sparse.csr_array:
    """Facility×place weight matrix; duplicate pairs keep their shortest travel time."""
    r, c, t = (np.asarray(a).ravel() for a in (rows, cols, cost))
    if not (r.shape == c.shape == t.shape):
        raise ValueError(f"e2sfca: rows, cols and cost differ in length ({r.size}, {c.size}, {t.size})")
    if r.size and not (np.issubdtype(r.dtype, np.integer) and np.issubdtype(c.dtype, np.integer)):
        raise ValueError("e2sfca: rows and cols must be integer indices")
    if r.size and (r.min() < 0 or r.max() >= n_facilities or c.min() < 0 or c.max() >= n_places):
        raise ValueError(f"e2sfca: pair indices out of range ({n_facilities} facilities, {n_places} places)")
    t = t.astype(float)
    if np.any(np.isnan(t) | (t < 0)):
        raise ValueError("e2sfca: travel times must be non-negative (inf = unreachable), found NaN or < 0")
    w = decay.weight(t)
    keep = w > 0
    r, c, t, w = r[keep].astype(np.int64), c[keep].astype(np.int64), t[keep], w[keep]
    key = r * n_places + c
    order = np.lexsort((t, key))  # by pair, shortest time first
    first = np.ones(order.size, dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    sel = order[first]
    return sparse.csr_array((w[sel], (r[sel], c[sel])), shape=(n_facilities, n_places))


def _nonnegative(values: ArrayLike, name: str, *, allow_nan: bool) -> NDArray[np.float64]:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {x.shape}")
    bad = np.isinf(x) | (x < 0) | (np.isnan(x) if not allow_nan else False)
    if np.any(bad):
        raise ValueError(f"{name} must be finite and >= 0; bad at index {int(np.flatnonzero(bad)[0])}")
    return x


def _steps(
    supply: ArrayLike, demand: ArrayLike, rows: ArrayLike, cols: ArrayLike, cost: ArrayLike, decay: Decay
) -> tuple[sparse.csr_array, NDArray[np.float64]]:
    """Return the weight matrix and the ratios per 1,000 residents (NaN where undefined)."""
    s = _nonnegative(supply, "supply", allow_nan=True)
    p = _nonnegative(demand, "demand", allow_nan=False)
    w = _pair_weights(s.size, p.size, rows, cols, cost, decay)
    weighted_demand = w @ p
    ratio = np.full(s.size, np.nan)
    ok = ~np.isnan(s) & (weighted_demand > 0)
    ratio[ok] = PER_RESIDENTS * s[ok] / weighted_demand[ok]
    return w, ratio


def facility_ratios(
    supply: ArrayLike, demand: ArrayLike, rows: ArrayLike, cols: ArrayLike, cost: ArrayLike, *, decay: Decay
) -> NDArray[np.float64]:
    """Step 1: the supply-to-demand ratio ``R_i`` of each facility, per 1,000 residents.

    ``R_i`` is NaN where it is undefined: the facility has no supply value, or its weighted
    demand ``Σ_j W(t_ij) P_j`` is 0 (it reaches no place, or only empty places). Such a
    facility contributes nothing to :func:`e2sfca`; the caller reports them, for instance
    ``np.isnan(supply).sum()`` facilities without a value and
    ``(np.isnan(ratio) & ~np.isnan(supply)).sum()`` facilities that reach no one.

    Returns
    -------
    numpy.ndarray
        ``R_i × 1000`` per facility, NaN where undefined.
    """
    return _steps(supply, demand, rows, cols, cost, decay)[1]


def e2sfca(
    supply: ArrayLike, demand: ArrayLike, rows: ArrayLike, cols: ArrayLike, cost: ArrayLike, *, decay: Decay
) -> NDArray[np.float64]:
    """Enhanced two-step floating catchment access of each place, per 1,000 residents.

    ``A_j = 1000 × Σ_i W(t_ij) R_i`` with ``R_i = S_i / Σ_j W(t_ij) P_j`` (see the module).
    A facility without a supply value (NaN) is left out, as is one whose weighted demand is 0;
    :func:`facility_ratios` tells which, for the caller to report. A place that reaches no
    facility with a defined ratio gets 0. Pairs beyond the threshold (or at ``inf``) are
    ignored; a pair given more than once keeps its shortest travel time.

    Parameters
    ----------
    supply : array_like
        Resources of each facility (beds, doctors), ``>= 0`` or NaN for "no value".
    demand : array_like
        People at each place, ``>= 0``.
    rows, cols : array_like of int
        Facility index and place index of each pair.
    cost : array_like
        Travel time of each pair in seconds.
    decay : Decay
        The distance decay, which also sets the threshold.

    Returns
    -------
    numpy.ndarray
        Access per place, in resources per 1,000 residents.

    Raises
    ------
    ValueError
        On mismatched lengths, indices out of range, negative or infinite supply or demand, NaN
        demand, or NaN or negative travel times.
    """
    w, ratio = _steps(supply, demand, rows, cols, cost, decay)
    return np.asarray(w.T @ np.nan_to_num(ratio, nan=0.0), dtype=float)


@dataclass(frozen=True)
class ZoneAccess:
    """Access by zone (arrays) and for the county (all places given).

    ``mean`` is the population-weighted mean access per 1,000 residents, ``share_zero`` the share
    (0–1) of people whose access is 0; both are NaN where there are no people.
    """

    people: NDArray[np.float64]
    mean: NDArray[np.float64]
    share_zero: NDArray[np.float64]
    county_mean: float
    county_share_zero: float


def zone_access(access: ArrayLike, population: ArrayLike, zone: ArrayLike, n_zones: int) -> ZoneAccess:
    """Summarise per-place access by zone: population-weighted mean and share of people at 0.

    Parameters
    ----------
    access : array_like
        Access per place (from :func:`e2sfca`).
    population : array_like
        People per place, ``>= 0``.
    zone : array_like of int
        Zone index of each place, in ``[0, n_zones)``; leave out places in no zone beforehand.
    n_zones : int
        Number of zones.

    Returns
    -------
    ZoneAccess
        The figures per zone and for the county.
    """
    a = np.asarray(access, dtype=float)
    p = _nonnegative(population, "population", allow_nan=False)
    z = np.asarray(zone)
    if not (a.shape == p.shape == z.shape):
        raise ValueError(
            f"zone_access: access, population and zone differ in shape ({a.shape}, {p.shape}, {z.shape})"
        )
    if z.size and (not np.issubdtype(z.dtype, np.integer) or z.min() < 0 or z.max() >= n_zones):
        raise ValueError(f"zone_access: zone indices must be integers in [0, {n_zones})")
    if np.any(~np.isfinite(a) | (a < 0)):
        raise ValueError("zone_access: access must be finite and >= 0")
    people, at_zero, total = (
        np.bincount(z, weights=x, minlength=n_zones).astype(float) for x in (p, p * (a == 0), p * a)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        mean, share = total / people, at_zero / people
    everyone = p.sum()
    county_mean = float(total.sum() / everyone) if everyone > 0 else float("nan")
    county_zero = float(at_zero.sum() / everyone) if everyone > 0 else float("nan")
    return ZoneAccess(people, mean, share, county_mean, county_zero)


@dataclass(frozen=True)
class Capacity:
    """Capacity-aware access of a study: per place, per village, per zone.

    Attributes
    ----------
    resource, standard
        The supply (``beds`` …) and the id of the time standard whose mode and threshold bound
        the catchments.
    decay
        The distance decay used.
    access
        Access per population place (resources per 1,000 residents).
    village_access
        Access of each village point (step 2 with the facilities' ratios), or ``None``.
    zones
        Per zone and county: people, population-weighted mean access, share of people at 0.
    facilities, without_value, reaching_no_one
        Facilities of the standard's types that are open; of these, those without a value of
        the resource (left out); those whose catchment holds no one.
    """

    resource: str
    standard: str
    decay: Decay
    access: NDArray[np.float64]
    village_access: NDArray[np.float64] | None
    zones: ZoneAccess
    facilities: int
    without_value: int
    reaching_no_one: int


def reachable_capacity(
    network: Network,
    facility_xy: tuple[NDArray[np.float64], NDArray[np.float64]],
    supply: NDArray[np.float64],
    places: PopulationCells,
    n_zones: int,
    *,
    resource: str,
    standard: str,
    decay: Decay,
    snap_radius_m: float,
    facility_snap_radius_m: float,
    village_xy: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> Capacity:
    """E2SFCA on a study's network: facility × place travel times within the decay's threshold.

    Travel times follow the assessment's rules (:func:`carecircles.traveltime.pair_costs`: walk
    to the road, network, walk to the door, or the straight walk nearby). Facilities with no
    value (``nan`` supply) are left out; the caller reports them.
    """
    known = np.isfinite(supply)
    fx, fy = facility_xy[0][known], facility_xy[1][known]

    def pairs(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray, NDArray, NDArray]:
        found = pair_costs(
            network,
            fx,
            fy,
            x,
            y,
            limit=decay.threshold_s + 1e-6,
            snap_radius_m=snap_radius_m,
            facility_snap_radius_m=facility_snap_radius_m,
        )
        return found[0], found[1], np.minimum(found[2], decay.threshold_s)  # inclusive, as assessed

    rows, cols, cost = pairs(places.x, places.y)
    weights, ratios = _steps(supply[known], places.population, rows, cols, cost, decay)  # both steps, once
    del rows, cols, cost
    access = np.asarray(weights.T @ np.nan_to_num(ratios, nan=0.0), dtype=float)  # as e2sfca
    del weights
    villages = None
    if village_xy is not None:
        v_rows, v_cols, v_cost = pairs(*village_xy)
        weight = decay.weight(v_cost) * np.nan_to_num(ratios[v_rows])
        villages = np.bincount(v_cols, weights=weight, minlength=len(village_xy[0])).astype(float)
    return Capacity(
        resource=resource,
        standard=standard,
        decay=decay,
        access=access,
        village_access=villages,
        zones=zone_access(access, places.population, places.zone, n_zones),
        facilities=len(supply),
        without_value=int((~known).sum()),
        reaching_no_one=int(np.isnan(ratios).sum()),
    )
