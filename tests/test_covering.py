"""Covering algorithms: exact against brute force, honest reports when not proven, any matrix dtype."""

import itertools

import numpy as np
import pytest
from scipy import optimize, sparse

from carecircles import covering
from carecircles.covering import (
    GAIN_TOLERANCE,
    exact_max_cover,
    exact_set_cover,
    first_cover,
    greedy_max_cover,
    max_cover_bound,
)
from carecircles.node_cover import NodeCover
from carecircles.outputs import exact_lines
from carecircles.siting_tables import exact_report


def covered_weight(dense, weight, chosen):
    if not len(chosen):
        return 0.0
    return float(weight[dense[list(chosen)].any(axis=0)].sum())


def random_instance(rng, n_c, n_d, density=0.3):
    dense = rng.random((n_c, n_d)) < density
    weight = rng.integers(0, 60, n_d).astype(float)
    weight[rng.random(n_d) < 0.1] = 0.0  # some places weigh nothing
    return dense, weight


def forms(dense):
    """The same coverage as bool, int and float, sparse and dense."""
    return [
        dense,
        dense.astype(np.int64),
        sparse.csr_matrix(dense),  # boolean sparse: what the module documents
        sparse.csr_matrix(dense.astype(np.int8)),
        sparse.csc_matrix(dense.astype(float)),
    ]


@pytest.mark.parametrize("seed", range(12))
def test_max_cover_equals_brute_force_over_every_k_subset(seed):
    rng = np.random.default_rng(seed)
    dense, weight = random_instance(rng, int(rng.integers(2, 9)), int(rng.integers(3, 18)))
    n_c = dense.shape[0]
    for k in range(1, min(n_c, 4) + 1):
        best = max(covered_weight(dense, weight, c) for c in itertools.combinations(range(n_c), k))
        for matrix in forms(dense):
            result = exact_max_cover(matrix, weight, k)
            assert result.problem == "MCLP" and result.status == "optimal" and result.proven
            assert result.objective == pytest.approx(best) == result.bound and result.gap == 0
            assert len(result.chosen) <= k
            assert covered_weight(dense, weight, result.chosen) == pytest.approx(best)
            assert result.describe() == "proven optimal"


@pytest.mark.parametrize("seed", range(12))
def test_set_cover_equals_brute_force_smallest_subset(seed):
    rng = np.random.default_rng(100 + seed)
    dense, weight = random_instance(rng, int(rng.integers(2, 9)), int(rng.integers(3, 18)), density=0.25)
    n_c = dense.shape[0]
    need = (weight > 0) & dense.any(axis=0)  # everything coverable that weighs something
    smallest = next(
        (
            k
            for k in range(n_c + 1)
            for c in itertools.combinations(range(n_c), k)
            if (dense[list(c)].any(axis=0) | ~need).all()
        ),
    )
    for matrix in forms(dense):
        result = exact_set_cover(matrix, weight)
        assert result.problem == "LSCP" and result.status == "optimal" and result.proven
        assert result.objective == len(result.chosen) == smallest == result.bound
        assert (dense[list(result.chosen)].any(axis=0) | ~need).all()


def test_greedy_never_adds_a_site_for_round_off():
    """Duplicated candidates whose gain is left as ~5.6e-17 by the running subtraction are not added."""
    # A and its copy A' cover {0, 1, 2}; B covers {0, 1, 3}; C covers {2, 4}: greedy takes B, C, and
    # then A's running gain is ((0.1 + 0.2) + 0.3) - (0.1 + 0.2) - 0.3 = 5.55e-17, not 0
    dense = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [1, 1, 0, 1, 0], [0, 0, 1, 0, 1]], dtype=bool)
    weight = np.array([0.1, 0.2, 0.3, 5.0, 4.0])
    for matrix in forms(dense):
        chosen, gains, reason = greedy_max_cover(matrix, weight, k=None)
        assert chosen == [2, 3] and reason == "no_candidate"
        assert gains == [pytest.approx(5.3), pytest.approx(4.3)]


@pytest.mark.parametrize("seed", range(20))
def test_greedy_with_duplicated_rows_adds_only_real_gains(seed):
    rng = np.random.default_rng(200 + seed)
    base = rng.random((6, 40)) < 0.3
    dense = np.vstack([base, base[rng.integers(0, 6, 6)]])  # every other candidate a copy of one
    dense = dense[rng.permutation(len(dense))]
    weight = rng.random(40) * rng.choice([1e-3, 1.0, 1e4], 40)  # mixed magnitudes: round-off
    chosen, gains, _ = greedy_max_cover(sparse.csr_matrix(dense), weight, k=None)
    covered = np.zeros(40, dtype=bool)
    for c, gain in zip(chosen, gains, strict=True):
        new = dense[c] & ~covered
        assert new.any() and weight[new].sum() > GAIN_TOLERANCE * weight.sum()
        assert gain == weight[new].sum()  # the gain recorded is exactly what the site adds
        covered |= dense[c]
    # it stops only when nothing coverable is left, and no two chosen rows are copies
    assert covered_weight(dense, weight, chosen) == pytest.approx(weight[dense.any(axis=0)].sum())
    assert len({dense[c].tobytes() for c in chosen}) == len(chosen)


def test_first_cover_accepts_a_boolean_matrix():
    dense = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=bool)
    owner = first_cover(sparse.csr_matrix(dense), np.array([False, False, False, True]), [1, 0])
    np.testing.assert_array_equal(owner, [1, 0, 0, -1])


def hard_instance():
    """Random MCLP that HiGHS cannot prove in 0.05 s (nor in 2 s: gap ~6 %), solved in ~0.1 s."""
    rng = np.random.default_rng(3)
    matrix = sparse.random(150, 1500, density=0.04, random_state=rng, format="csr").astype(bool)
    weight = rng.integers(1, 100, 1500).astype(float)
    return matrix, weight


def test_time_limited_solve_says_not_proven_and_is_never_worse_than_greedy():
    matrix, weight = hard_instance()
    _, gains, _ = greedy_max_cover(matrix, weight, k=8)
    result = exact_max_cover(matrix, weight, 8, time_limit_s=0.05)
    assert result.status == "time limit" and not result.proven
    assert result.objective >= sum(gains) - 1e-9  # greedy is the incumbent to beat
    assert result.found_by in {"solver", "greedy"}
    dense = matrix.toarray()
    assert covered_weight(dense, weight, result.chosen) == pytest.approx(result.objective)
    assert result.bound > result.objective and result.gap == pytest.approx(
        (result.bound - result.objective) / result.objective
    )
    # the bound is a true upper bound: no k rows carry more than it
    assert result.bound <= float(np.sort(matrix.astype(float) @ weight)[::-1][:8].sum()) + 1e-6
    assert result.describe() == "not proven optimal within 0.05 s (time limit)"
    cover_all = exact_set_cover(matrix, weight, time_limit_s=0.05)
    assert cover_all.status == "time limit" and not cover_all.proven
    assert cover_all.bound < cover_all.objective
    assert (
        dense[list(cover_all.chosen)].any(axis=0)[weight > 0].sum()
        == (dense.any(axis=0) & (weight > 0)).sum()
    )


def test_a_worse_solver_incumbent_is_replaced_by_greedy(monkeypatch):
    """HiGHS stopped at its time limit with a poor incumbent (as in the issue): greedy's answer is kept."""
    dense = np.kron(np.eye(4, dtype=bool), np.ones((1, 3), dtype=bool))  # 4 disjoint candidates
    weight = np.array([5, 5, 5, 1, 1, 1, 9, 9, 9, 2, 2, 2], dtype=float)
    real_milp = optimize.milp

    def stopped(**problem):
        x = np.zeros(len(problem["c"]))
        x[[1, 3]] = 1.0  # the two lightest candidates: 9 people
        return optimize.OptimizeResult(
            status=1, message="Time limit reached.", x=x, mip_dual_bound=-50.0, success=False
        )

    monkeypatch.setattr(covering.optimize, "milp", stopped)
    result = exact_max_cover(sparse.csr_matrix(dense), weight, 2, time_limit_s=1.0)
    assert sorted(result.chosen) == [0, 2] and result.objective == 42.0 and result.found_by == "greedy"
    # bound: the solver's 50 is beaten by the two heaviest rows (27 + 15 = 42): proven after all
    assert result.bound == 42.0 and result.proven and result.status == "time limit"
    # rows of 3 places, any two sharing one: the optimum for k = 2 is 5, the counting bound 6, so
    # only the solver's dual bound can prove it
    pairs = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 1, 0], [1, 0, 0, 0, 1, 1], [0, 1, 0, 1, 0, 1]], bool)
    for dual, proven in ((-5.5, False), (-5.0, True)):

        def no_answer(dual=dual, **problem):
            return optimize.OptimizeResult(
                status=1, message="Time limit reached.", x=None, mip_dual_bound=dual, success=False
            )

        monkeypatch.setattr(covering.optimize, "milp", no_answer)
        result = exact_max_cover(pairs, np.ones(6), 2, time_limit_s=1.0)
        assert result.found_by == "greedy" and result.objective == 5.0 and result.status == "time limit"
        assert result.bound == -dual and result.proven is proven
        assert result.gap == pytest.approx(0.1 if not proven else 0.0)
    monkeypatch.setattr(covering.optimize, "milp", lambda **problem: real_milp(**problem))
    result = exact_max_cover(pairs, np.ones(6), 2)
    assert result.objective == 5.0 and result.bound == 5.0 and result.proven  # HiGHS agrees


def test_a_given_incumbent_is_kept_when_it_is_best(monkeypatch):
    dense = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 1]], dtype=bool)
    weight = np.array([3, 3, 1, 1, 3, 3], dtype=float)
    # greedy takes 0 (7) then 2 (6): 13; {1, 2} covers 3+3+1+1+3+3 = 14, the optimum

    def nothing(**problem):
        return optimize.OptimizeResult(status=1, message="Time limit reached.", x=None, success=False)

    monkeypatch.setattr(covering.optimize, "milp", nothing)
    # the Lagrangian relaxation's sites find the optimum here
    result = exact_max_cover(dense, weight, 2, time_limit_s=1.0)
    assert result.found_by == "lagrangian" and result.objective == 14.0 and result.proven
    assert set(result.chosen) == {1, 2}
    monkeypatch.setattr(covering, "lagrangian_max_cover", lambda *a, **kw: (np.inf, [], 0.0))
    result = exact_max_cover(dense, weight, 2, time_limit_s=1.0)
    assert result.found_by == "greedy" and result.objective == 13.0 and not result.proven
    assert result.bound == 14.0 and result.gap == pytest.approx(1 / 13)  # everything: 14
    result = exact_max_cover(dense, weight, 2, time_limit_s=1.0, incumbent=[1, 2])
    assert result.found_by == "given" and result.objective == 14.0 and result.proven
    with pytest.raises(ValueError, match="more than k"):
        exact_max_cover(dense, weight, 1, incumbent=[1, 2])


def test_exact_report_and_its_wording_when_not_proven():
    matrix, weight = hard_instance()
    chosen, gains, _ = greedy_max_cover(matrix, weight, k=8)
    ids = np.array([f"C{i:05d}" for i in range(matrix.shape[0])])
    report = exact_report(matrix, weight, chosen, gains, ids, time_limit_s=0.05)
    best = report["max_cover"]
    assert report["k"] == 8 and best["status"] == "time limit" and not best["proven_optimal"]
    assert best["covered"] >= report["greedy_covered"] == pytest.approx(sum(gains), abs=0.05)
    assert best["bound"] > best["covered"] and 0 < best["gap"] < 1
    assert report["greedy_share_of_best"] <= 1  # never above 1: greedy is the answer to beat
    assert report["greedy_share_of_bound"] == pytest.approx(  # the bound is shown rounded up
        report["greedy_covered"] / best["bound"], rel=1e-5
    )
    assert len(best["sites"]) <= 8 and all(s.startswith("C") for s in best["sites"])
    english = "\n".join(exact_lines(report, zh=False))
    assert "not proven optimal within 0.05 s (time limit)" in english
    assert f"at most {int(np.ceil(best['bound'] - 1e-6)):,}" in english and "optimal;" not in english
    assert "proven optimal" not in english.replace("not proven optimal", "")
    chinese = "\n".join(exact_lines(report, zh=True))
    assert "0.05 秒内未证明最优" in chinese and "已证明最优" not in chinese


def test_exact_report_wording_when_proven():
    dense = np.kron(np.eye(4, dtype=bool), np.ones((1, 3), dtype=bool))
    weight = np.array([5, 5, 5, 1, 1, 1, 9, 9, 9, 2, 2, 2], dtype=float)
    ids = np.array(["A", "B", "C", "D"])
    chosen, gains, _ = greedy_max_cover(dense, weight, k=2)
    report = exact_report(sparse.csr_matrix(dense), weight, chosen, gains, ids, time_limit_s=10)
    assert report["max_cover"]["proven_optimal"] and report["max_cover"]["covered"] == 42.0
    assert sorted(report["max_cover"]["sites"]) == ["A", "C"]
    assert report["set_cover"]["sites_needed"] == 4 and report["set_cover"]["proven_optimal"]
    english = exact_lines(report, zh=False)
    assert "sites newly cover at most 42 (proven optimal); greedy 42 (100.0% of the optimum)" in english[0]
    assert english[1] == "covering everyone coverable takes 4 sites (proven optimal)"


def test_bad_weights_are_refused():
    dense = np.eye(2, dtype=bool)
    with pytest.raises(ValueError, match="not negative"):
        greedy_max_cover(dense, np.array([1.0, -1.0]), k=1)
    with pytest.raises(ValueError, match="3 values for 2"):
        exact_max_cover(dense, np.ones(3), 1)


def test_exact_report_keeps_the_proposed_sites_when_they_are_best(monkeypatch):
    """Greedy with a site per zone can beat plain greedy; the report then keeps and names them."""
    dense = np.array([[1, 1, 1, 0, 0, 0, 1], [1, 1, 0, 1, 0, 0, 0], [0, 0, 1, 0, 1, 1, 0]], dtype=bool)
    weight = np.array([3, 3, 1, 1, 3, 3, 0.5])  # plain greedy: row 0 (7.5), row 2 (+6) = 13.5

    def nothing(**problem):
        return optimize.OptimizeResult(status=1, message="Time limit reached.", x=None, success=False)

    monkeypatch.setattr(covering.optimize, "milp", nothing)
    # the Lagrangian bound proves the proposed sites optimal (7.5 + 7 = 14.5 is the rows' bound)
    report = exact_report(
        sparse.csr_matrix(dense), weight, [1, 2], [7.0, 7.0], np.array(["A", "B", "C"]), time_limit_s=2
    )
    best = report["max_cover"]
    assert best["found_by"] == "proposed" and best["covered"] == 14.0 == best["bound"]
    assert best["proven_optimal"] and best["gap"] == 0
    # without it, the report says what is not proven
    monkeypatch.setattr(covering, "lagrangian_max_cover", lambda *a, **kw: (np.inf, [], 0.0))
    report = exact_report(
        sparse.csr_matrix(dense), weight, [1, 2], [7.0, 7.0], np.array(["A", "B", "C"]), time_limit_s=2
    )
    best = report["max_cover"]
    assert best["found_by"] == "proposed" and best["sites"] == ["B", "C"] and best["covered"] == 14.0
    assert best["bound"] == 14.5 and best["gap"] == pytest.approx(0.5 / 14, abs=1e-6)  # 7.5 + 7
    assert not best["proven_optimal"] and report["greedy_share_of_best"] == 1.0
    english = exact_lines(report, zh=False)[0]
    assert "newly cover 14 (the proposed sites), not proven optimal within 2 s (time limit)" in english
    assert "the optimum is at most 15 (gap 3.6%)" in english  # an upper bound of 14.5, rounded up


def test_covering_and_tables_import_no_siting_or_analysis_above_them():
    """No import circle: covering sits below analysis and siting; the tables below siting."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys, carecircles.covering; a = sorted(sys.modules); "
        "import carecircles.siting_tables; print(json.dumps([a, sorted(sys.modules)]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    below_covering, below_tables = json.loads(done.stdout)
    assert not {"carecircles.analysis", "carecircles.siting", "carecircles.siting_tables"} & set(
        below_covering
    )
    assert "carecircles.siting" not in below_tables and "carecircles.candidates" not in below_tables


def random_node_cover(rng, n_sites, n_runs):
    """Runs of 1–5 places (shuffled place numbers) and random prefixes per (site, run)."""
    sizes = rng.integers(1, 6, n_runs)
    n_places = int(sizes.sum())
    order = rng.permutation(n_places)
    run_start = np.r_[0, np.cumsum(sizes)]
    site, run, count = [], [], []
    for s in range(n_sites):
        for r in range(n_runs):
            if rng.random() < 0.35:
                site.append(s)
                run.append(r)
                count.append(int(rng.integers(1, sizes[r] + 1)))
    cover = NodeCover.from_entries(
        n_sites, n_places, order, run_start, np.array(site), np.array(run), np.array(count)
    )
    weight = rng.integers(0, 40, n_places).astype(float)
    weight[rng.random(n_places) < 0.15] = 0.0
    return cover, weight


@pytest.mark.parametrize("seed", range(10))
def test_node_cover_prefixes_solve_as_their_matrix(seed):
    """Greedy, first cover, both integer programs and the greedy bound, on prefixes of runs,
    agree with the same algorithms on the expanded matrix and with brute force."""
    rng = np.random.default_rng(300 + seed)
    cover, weight = random_node_cover(rng, int(rng.integers(2, 7)), int(rng.integers(2, 6)))
    dense = cover.matrix().toarray() > 0
    for s in range(cover.n_sites):  # the matrix is the prefixes, place by place
        _, run, count = cover.rows(np.array([s]))
        expected = {
            int(p)
            for r, k in zip(run, count, strict=True)
            for p in cover.order[cover.run_start[r] : cover.run_start[r] + k]
        }
        assert set(np.flatnonzero(dense[s]).tolist()) == expected
    np.testing.assert_array_equal(cover.reachable(), dense.any(axis=0))
    np.testing.assert_allclose(cover.site_weights(weight), dense @ weight)
    for k in (1, 2, 3):
        chosen, gains, _ = greedy_max_cover(cover, weight, k=k)
        m_chosen, m_gains, _ = greedy_max_cover(dense, weight, k=k)
        assert chosen == m_chosen and gains == pytest.approx(m_gains)
        np.testing.assert_array_equal(
            first_cover(cover, weight == 0, chosen), first_cover(dense, weight == 0, chosen)
        )
        best = max(
            covered_weight(dense, weight, c)
            for c in itertools.combinations(range(cover.n_sites), min(k, cover.n_sites))
        )
        result = exact_max_cover(cover, weight, k)
        assert result.proven and result.objective == pytest.approx(best)
        assert covered_weight(dense, weight, result.chosen) == pytest.approx(best)
        assert max_cover_bound(cover, weight, k, chosen) >= best - 1e-9
        assert max_cover_bound(cover, weight, k, chosen) <= sum(sorted(dense @ weight)[-k:]) + 1e-9
    need = (weight > 0) & dense.any(axis=0)
    smallest = next(
        k
        for k in range(cover.n_sites + 1)
        for c in itertools.combinations(range(cover.n_sites), k)
        if (dense[list(c)].any(axis=0) | ~need).all()
    )
    lscp = exact_set_cover(cover, weight)
    assert lscp.proven and lscp.objective == smallest
    assert (dense[list(lscp.chosen)].any(axis=0) | ~need).all()


def test_greedy_bound_holds_between_the_optimum_and_the_heaviest_rows():
    """The bound from a greedy run is never below the optimum nor above the k heaviest rows."""
    for seed in range(20):
        dense, weight = random_instance(np.random.default_rng(seed), 9, 30, density=0.2)
        for k in (2, 3):
            chosen, _, _ = greedy_max_cover(dense, weight, k=k)
            best = max(covered_weight(dense, weight, c) for c in itertools.combinations(range(9), k))
            assert (
                best - 1e-9
                <= max_cover_bound(dense, weight, k, chosen)
                <= sum(sorted(dense @ weight)[-k:]) + 1e-9
            )


def test_set_cover_splits_into_parts_no_site_links():
    """Three blocks no site links are solved apart: the sum of each block's smallest cover."""
    rng = np.random.default_rng(9)
    blocks, smallest = [], 0
    for _ in range(3):
        dense, _ = random_instance(rng, 6, 10, density=0.35)
        dense = dense[:, dense.any(axis=0)]
        blocks.append(dense)
        smallest += next(
            k
            for k in range(7)
            for c in itertools.combinations(range(6), k)
            if dense[list(c)].any(axis=0).all()
        )
    matrix = sparse.block_diag([sparse.csr_matrix(b) for b in blocks], format="csr")
    result = exact_set_cover(matrix, np.ones(matrix.shape[1]))
    assert result.parts == 3 and result.proven and result.objective == smallest
    assert (matrix[list(result.chosen)].toarray().any(axis=0)).all()


@pytest.mark.parametrize("seed", range(8))
def test_lagrangian_bounds_hold_against_brute_force(seed, monkeypatch):
    """Without the solver (a problem too large for it), the Lagrangian bounds are still proven
    bounds: never below the best k sites, never above the fewest sites covering everything."""
    rng = np.random.default_rng(500 + seed)
    dense, weight = random_instance(rng, 9, 24, density=0.2)
    monkeypatch.setattr(covering, "SOLVER_MAX_NONZEROS", 0)
    for k in (1, 2, 3):
        best = max(covered_weight(dense, weight, c) for c in itertools.combinations(range(9), k))
        result = exact_max_cover(dense, weight, k, time_limit_s=2.0)
        assert result.status == covering.TOO_LARGE
        assert result.objective <= best + 1e-9 <= result.bound + 2e-9
        assert covered_weight(dense, weight, result.chosen) == pytest.approx(result.objective)
        bound, sites, reached = covering.lagrangian_max_cover(
            covering.as_node_cover(dense), weight, k, 0.0, seconds=2.0
        )
        assert bound >= best - 1e-9 and reached == pytest.approx(covered_weight(dense, weight, sites))
    need = (weight > 0) & dense.any(axis=0)
    smallest = next(
        k
        for k in range(10)
        for c in itertools.combinations(range(9), k)
        if (dense[list(c)].any(axis=0) | ~need).all()
    )
    lscp = exact_set_cover(dense, weight, time_limit_s=2.0)
    assert lscp.bound <= smallest <= lscp.objective
    assert (dense[list(lscp.chosen)].any(axis=0) | ~need).all()
    assert covering.lagrangian_set_cover(sparse.csr_matrix(dense[:, need]), smallest) <= smallest + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_lagrangian_bounds_reach_the_linear_programming_bounds(seed):
    """The subgradient steps find the linear-programming bound (scipy's linprog, an independent
    reference): never past it, the wrong way, and within 1 % of it."""
    rng = np.random.default_rng(700 + seed)
    dense = rng.random((15, 40)) < 0.15
    weight = rng.integers(1, 60, 40).astype(float)
    n_c, n_p = dense.shape
    for k in (2, 3):
        lp = optimize.linprog(
            np.r_[np.zeros(n_c), -weight],
            A_ub=np.vstack(
                [np.hstack([-dense.T.astype(float), np.eye(n_p)]), np.r_[np.ones(n_c), np.zeros(n_p)]]
            ),
            b_ub=np.r_[np.zeros(n_p), k],
            bounds=(0, 1),
        )
        bound, _, _ = covering.lagrangian_max_cover(
            covering.as_node_cover(dense), weight, k, 0.0, seconds=5.0
        )
        assert -lp.fun - 1e-6 <= bound <= -lp.fun * 1.01
        assert bound < sum(sorted(dense @ weight)[-k:])  # below the k heaviest rows it started from
    coverable = dense[:, dense.any(axis=0)]
    lp = optimize.linprog(
        np.ones(n_c), A_ub=-coverable.T.astype(float), b_ub=-np.ones(coverable.shape[1]), bounds=(0, 1)
    )
    least = covering.lagrangian_set_cover(sparse.csr_matrix(coverable), n_c, seconds=5.0)
    assert lp.fun * 0.99 - 1e-6 <= least <= lp.fun + 1e-6
