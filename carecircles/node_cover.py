"""Who each candidate site covers, kept per road node: a prefix of the node's places.

A place is covered by road from a site when its walk to its road node plus the network from
there to the site (``via``) is within the threshold. Sort a node's places by their walk, and
the places a site covers there are the first few: one number per (site, node), not one entry
per (site, place). A province's gaps (226,522 cells on 18,156 nodes, 161,698 candidates) then
need 10 million numbers instead of 123 million pairs.

The places of a node form a *run*. A place that some site covers only by walking straight to
it (a place near a candidate but far from its own road node, say) is taken out of its node's
run and given a run of its own, so every run stays a prefix. Any 0/1 matrix is a cover too:
each place a run of one (:meth:`NodeCover.from_matrix`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from carecircles.traveltime import NodeGroups, NodeReach, ranges


@dataclass(frozen=True)
class NodeCover:
    """Coverage of places by sites as prefixes of runs of places.

    Attributes
    ----------
    n_sites, n_places
        Shape of the coverage (sites × places).
    order
        The places in runs, run by run, each run in the order its prefixes are taken.
    run_start
        Run ``r`` holds ``order[run_start[r]:run_start[r + 1]]`` (length: runs + 1).
    site_start
        Site ``c``'s entries are ``run[site_start[c]:site_start[c + 1]]`` and ``count[…]``.
    run, count
        One entry per (site, run): the site covers the first ``count`` (≥ 1) places of the run.
    """

    n_sites: int
    n_places: int
    order: NDArray[np.int64]
    run_start: NDArray[np.int64]
    site_start: NDArray[np.int64]
    run: NDArray[np.int64]
    count: NDArray[np.int64]

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return len(self.run_start) - 1

    @property
    def site(self) -> NDArray[np.int64]:
        """Site of each entry."""
        return np.repeat(np.arange(self.n_sites), np.diff(self.site_start))

    @classmethod
    def from_entries(
        cls,
        n_sites: int,
        n_places: int,
        order: NDArray[np.int64],
        run_start: NDArray[np.int64],
        site: NDArray[np.int64],
        run: NDArray[np.int64],
        count: NDArray[np.int64],
    ) -> NodeCover:
        """Build a cover from entries in any order (one per (site, run), ``count`` ≥ 1)."""
        by_site = np.lexsort((run, site))
        site, run, count = site[by_site], run[by_site], count[by_site]
        return cls(
            n_sites=int(n_sites),
            n_places=int(n_places),
            order=np.asarray(order, dtype=np.int64),
            run_start=np.asarray(run_start, dtype=np.int64),
            site_start=np.searchsorted(site, np.arange(n_sites + 1)).astype(np.int64),
            run=run.astype(np.int64),
            count=count.astype(np.int64),
        )

    @classmethod
    def from_matrix(cls, matrix: sparse.spmatrix | sparse.sparray | NDArray) -> NodeCover:
        """Any coverage matrix (sites × places; nonzero: covered), each place a run of its own."""
        cover = sparse.csr_matrix(matrix, dtype=np.float64, copy=True)
        cover.eliminate_zeros()
        cover.sum_duplicates()
        n_sites, n_places = cover.shape
        return cls(
            n_sites=n_sites,
            n_places=n_places,
            order=np.arange(n_places, dtype=np.int64),
            run_start=np.arange(n_places + 1, dtype=np.int64),
            site_start=cover.indptr.astype(np.int64),
            run=cover.indices.astype(np.int64),
            count=np.ones(cover.nnz, dtype=np.int64),
        )

    @classmethod
    def from_reach(cls, reach: NodeReach, n_sites: int, cut: float) -> NodeCover:
        """Cover from :func:`carecircles.traveltime.node_reach`: a pair is covered at cost ≤ ``cut``.

        By road, a place at a node is covered when ``via + walk ≤ cut``; on foot, when its
        straight walk is. Places covered on foot by a site whose road route does not cover
        them get runs of their own.
        """
        pnode, pcost = reach.place_node, reach.place_cost
        n_places = len(pnode)
        walk_ok = reach.walk_cost <= cut
        w_site, w_place = reach.walk_source[walk_ok], reach.walk_place[walk_ok]
        road = _PairIndex(reach.source, reach.node).via(reach.via, w_site, pnode[w_place]) + pcost[w_place]
        foot_only = ~(road <= cut)
        special = np.unique(w_place[foot_only])
        alone = np.zeros(n_places, dtype=bool)
        alone[special] = True
        ordinary = np.flatnonzero((pnode >= 0) & (pcost <= cut) & ~alone)
        # the nodes' runs (by node, cheapest walk first), then the places on their own
        order = np.concatenate([ordinary[np.lexsort((pcost[ordinary], pnode[ordinary]))], special])
        order = order.astype(np.int64, copy=False)
        del ordinary  # (a province's per-place arrays are 100 MB each: as few at once as can be)
        n_ordered = len(order) - len(special)
        ordered = order[:n_ordered]
        node_of = pnode[ordered]  # sorted: a run starts where the node changes
        first = (
            np.flatnonzero(np.r_[True, node_of[1:] != node_of[:-1]]) if n_ordered else np.zeros(0, np.int64)
        )
        run_node = node_of[first]
        del node_of
        n_ordinary = len(run_node)
        run_start = np.r_[first, n_ordered + np.arange(len(special) + 1)].astype(np.int64)
        # entries of the nodes' runs: how many of the run's places fit in what is left
        node_run = np.full(max(int(pnode.max(initial=-1)), int(reach.node.max(initial=-1))) + 1, -1)
        node_run[run_node] = np.arange(n_ordinary)
        run = node_run[reach.node] if len(reach.node) else np.zeros(0, dtype=np.int64)
        has = run >= 0
        site, run, via = reach.source[has], run[has], reach.via[has]
        count = _prefix_counts(pcost[ordered], run_start[: n_ordinary + 1], run, via, cut)
        ok = count > 0
        site, run, count = site[ok], run[ok], count[ok]
        # entries of the places on their own: by road from their node, or on foot
        pairs = np.zeros((0, 2), dtype=np.int64)
        if len(special):
            at, triple = NodeGroups(reach.node, np.arange(len(reach.node))).at(pnode[special])
            by_road = reach.via[triple] + pcost[special[at]] <= cut
            own_site = np.r_[reach.source[triple[by_road]], w_site[alone[w_place]]]
            own_run = np.r_[at[by_road], np.searchsorted(special, w_place[alone[w_place]])] + n_ordinary
            pairs = np.unique(np.column_stack([own_site, own_run]), axis=0)
        return cls.from_entries(
            n_sites,
            n_places,
            order,
            run_start,
            np.r_[site, pairs[:, 0]],
            np.r_[run, pairs[:, 1]],
            np.r_[count, np.ones(len(pairs), dtype=np.int64)],
        )

    def places(
        self, run: NDArray[np.int64], lo: NDArray[np.int64], hi: NDArray[np.int64]
    ) -> NDArray[np.int64]:
        """Return the places at positions ``lo:hi`` of each run ``run`` (all of them, in order)."""
        return self.order[ranges(self.run_start[run] + lo, np.maximum(hi - lo, 0))]

    def matrix(self) -> sparse.csr_matrix:
        """Return the cover as a sparse 0/1 matrix (sites × places, CSR, float64)."""
        size = self.count
        rows = np.repeat(self.site, size)
        cols = self.places(self.run, np.zeros(len(self.run), dtype=np.int64), size)
        out = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(self.n_sites, self.n_places))
        out.sum_duplicates()
        out.data[:] = 1.0
        return out

    def site_weights(self, weight: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return, per site, the weight of the places it covers."""
        placed = np.asarray(weight, dtype=np.float64)[self.order]
        sums = np.r_[0.0, np.cumsum(placed)]  # a run prefix is a difference of running sums
        start = self.run_start[self.run]
        one = placed[np.minimum(start, max(len(placed) - 1, 0))] if len(placed) else np.zeros(len(start))
        prefix = np.where(self.count == 1, one, sums[start + self.count] - sums[start])  # one place: exactly
        return np.bincount(self.site, weights=prefix, minlength=self.n_sites).astype(np.float64)

    def deepest(self) -> NDArray[np.int64]:
        """Return, per run, the most places any site covers."""
        most = np.zeros(self.n_runs, dtype=np.int64)
        np.maximum.at(most, self.run, self.count)
        return most

    def reachable(self) -> NDArray[np.bool_]:
        """Return, per place, whether some site covers it."""
        most = self.deepest()
        out = np.zeros(self.n_places, dtype=bool)
        out[self.places(np.arange(self.n_runs), np.zeros(self.n_runs, dtype=np.int64), most)] = True
        return out

    def by_run(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Return the entries run by run: ``start`` (per run, length runs + 1), ``site``, ``count``."""
        order = np.argsort(self.run, kind="stable")
        start = np.searchsorted(self.run[order], np.arange(self.n_runs + 1)).astype(np.int64)
        return start, self.site[order], self.count[order]

    def rows(
        self, sites: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Return the entries of ``sites``: the position in ``sites``, the run and the count."""
        size = np.diff(self.site_start)[sites]
        at = ranges(self.site_start[sites], size)
        return np.repeat(np.arange(len(sites)), size), self.run[at], self.count[at]


class _PairIndex:
    """Look up a (site, node) entry of a node reach."""

    def __init__(self, site: NDArray[np.int64], node: NDArray[np.int64]) -> None:
        self.span = int(node.max(initial=0)) + 1
        key = site.astype(np.int64) * self.span + node
        self.order = np.argsort(key, kind="stable")
        self.key = key[self.order]

    def via(
        self, via: NDArray[np.float64], site: NDArray[np.int64], node: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Return ``via`` of each (site, node), ``inf`` where there is none."""
        out = np.full(len(site), np.inf)
        if not len(self.key) or not len(site):
            return out
        ok = (node >= 0) & (node < self.span)
        key = site * self.span + np.where(ok, node, 0)
        at = np.minimum(np.searchsorted(self.key, key), len(self.key) - 1)
        found = ok & (self.key[at] == key)
        out[found] = via[self.order[at[found]]]
        return out


def _prefix_counts(
    cost: NDArray[np.float64],
    run_start: NDArray[np.int64],
    run: NDArray[np.int64],
    via: NDArray[np.float64],
    cut: float,
) -> NDArray[np.int64]:
    """How many places of ``run`` (costs ascending within each run) have ``via + cost ≤ cut``.

    Found by one binary search on keys ``run · span + cost``, then corrected place by place with
    the exact sum, so the count is what ``via + cost ≤ cut`` says for every place.
    """
    if not len(run):
        return np.zeros(0, dtype=np.int64)
    lo, hi = run_start[run], run_start[run + 1]
    span = float(cost.max(initial=0.0)) + 1.0
    keys = np.repeat(np.arange(len(run_start) - 1) * span, np.diff(run_start))  # run · span per place
    keys += cost  # the same sums as run · span + cost, in place
    left = np.clip(cut - via, -0.5, span - 0.5)
    end = np.clip(np.searchsorted(keys, run * span + left, side="right"), lo, hi)
    while True:  # the keys round; step to the exact end
        back = (end > lo) & ~(via + cost[np.maximum(end - 1, 0)] <= cut)
        ahead = (end < hi) & (via + cost[np.minimum(end, len(cost) - 1)] <= cut)
        if not back.any() and not ahead.any():
            return end - lo
        end = end - back + ahead
