"""The item response model and its calibration, against values worked out independently.

Every exact figure is recomputed here in plain Python (``math``, loops) from the definitions
in ``question_bank/irt.py``'s docstring, not with the module's numpy code.
"""

import hashlib
import math
from statistics import NormalDist

import numpy as np
import pytest

from question_bank import irt
from question_bank.irt import ItemParameters, Quadrature, Responses


def logistic(z):
    return 1 / (1 + math.exp(-z))


def p3(theta, a, b, c):
    return c + (1 - c) * logistic(a * (theta - b))


# -- the model ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("theta", "a", "b", "c"), [
    (0.5, 1.2, -0.3, 0.25), (-2.0, 0.7, 1.1, 0.0), (3.0, 2.5, 0.0, 0.5), (0.0, 1.0, 0.0, 0.2)])
def test_probability(theta, a, b, c):
    assert irt.probability(theta, a, b, c) == pytest.approx(p3(theta, a, b, c), abs=1e-12)


def test_probability_by_hand():
    # θ = b: half way between c and 1; a 4-option item: .25 + .75/2
    assert irt.probability(0.3, 1.7, 0.3, 0.25) == pytest.approx(0.625, abs=1e-15)
    # a(θ − b) = ln 3: logistic = 3/4
    assert irt.probability(math.log(3), 1.0, 0.0, 0.0) == pytest.approx(0.75, abs=1e-15)


def test_probability_broadcasts():
    values = irt.probability(np.array([[-1.0], [1.0]]), np.array([1.0, 2.0]), 0.0, 0.0)
    assert values.shape == (2, 2)
    assert values[1, 1] == pytest.approx(logistic(2.0), abs=1e-15)


def test_information():
    theta, a, b, c = 0.4, 1.3, -0.2, 0.25
    p = p3(theta, a, b, c)
    psi = logistic(a * (theta - b))
    derivative = (1 - c) * a * psi * (1 - psi)
    assert irt.information(theta, a, b, c) == pytest.approx(derivative**2 / (p * (1 - p)), abs=1e-12)
    assert irt.information(0.0, 1.0, 0.0, 0.0) == pytest.approx(0.25, abs=1e-15)  # a² p (1 − p)


@pytest.mark.parametrize(("item_type", "options", "c"), [
    ("single_choice", 4, 0.25), ("single_choice", 3, 1 / 3), ("single_choice", 2, 0.5),
    ("true_false", 0, 0.5), ("multiple_response", 5, 0.0), ("ordering", 4, 0.0)])
def test_guessing_floor(item_type, options, c):
    assert irt.guessing_floor(item_type, options) == c


def test_guessing_floor_refuses_nonsense():
    with pytest.raises(ValueError):
        irt.guessing_floor("essay", 0)
    with pytest.raises(ValueError):
        irt.guessing_floor("single_choice", 1)


# -- quadrature ---------------------------------------------------------------------------------

def test_normal_quadrature():
    quadrature = irt.normal_quadrature()
    nodes = [-6 + 12 * k / 60 for k in range(61)]
    density = [math.exp(-z * z / 2) for z in nodes]
    weights = [d / math.fsum(density) for d in density]
    assert quadrature.nodes == pytest.approx(nodes, abs=1e-12)
    assert quadrature.weights == pytest.approx(weights, abs=1e-15)
    assert math.fsum(quadrature.weights) == pytest.approx(1.0, abs=1e-15)
    mean = math.fsum(w * z for w, z in zip(weights, nodes, strict=True))
    variance = math.fsum(w * z * z for w, z in zip(weights, nodes, strict=True))
    assert float(quadrature.weights @ quadrature.nodes) == pytest.approx(mean, abs=1e-15)
    assert float(quadrature.weights @ quadrature.nodes**2) == pytest.approx(variance, abs=1e-12)
    # the equally spaced rule is spectrally accurate for the normal: only the tails beyond ±6 are lost
    assert mean == pytest.approx(0.0, abs=1e-15) and variance == pytest.approx(1.0, abs=1e-6)
    assert float(quadrature.weights @ quadrature.nodes**4) == pytest.approx(3.0, abs=1e-5)


def test_a_scaled_quadrature_and_refusals():
    quadrature = irt.normal_quadrature(points=5, limit=2.0, mean=1.0, sd=0.5)
    assert quadrature.nodes.tolist() == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])
    with pytest.raises(ValueError):
        Quadrature([0.0, 1.0], [0.5, 0.6])
    with pytest.raises(ValueError):
        irt.normal_quadrature(points=1)


# -- responses ----------------------------------------------------------------------------------

def test_responses_from_records_and_from_matrix_agree():
    records = [("att-2", "v9", 1), ("att-1", "v7", 0.5), ("att-2", "v7", 0), ("att-1", "v8", 1)]
    data = Responses.from_records(records)
    assert data.item_keys == ("v9", "v7", "v8") and data.person_keys == ("att-2", "att-1")
    assert list(zip(data.person.tolist(), data.item.tolist(), data.credit.tolist(), strict=True)) == [
        (0, 0, 1.0), (0, 1, 0.0), (1, 1, 0.5), (1, 2, 1.0)]
    matrix = Responses.from_matrix([[1, 0, None], [None, 0.5, 1], [None, None, None]])
    assert matrix.items == 3 and matrix.person_keys == (0, 1)  # the empty row is left out
    assert matrix.counts().tolist() == [1, 2, 1]
    listed = Responses.from_records([("p", "x", 1)], item_keys=["w", "x"])
    assert listed.counts().tolist() == [0, 1]


@pytest.mark.parametrize("records", [
    [("p", "x", 1.5)], [("p", "x", -0.1)], [("p", "x", float("nan"))], [("p", "x", 1), ("p", "x", 0)]])
def test_responses_refuse_bad_records(records):
    with pytest.raises(ValueError):
        Responses.from_records(records)


def test_responses_refuse_an_unlisted_item():
    with pytest.raises(ValueError, match="item_keys"):
        Responses.from_records([("p", "y", 1)], item_keys=["x"])


# A tiny data set: 5 persons, 3 items (one person skipped item 2's form), partial credit once.
TINY = [
    [1, 1, 0],
    [0, 1, None],
    [1, 0.5, 1],
    [0, 0, 0],
    [1, 1, 1],
]
A0, B0, C0 = [1.0, 0.8, 1.5], [0.0, -0.5, 0.7], [0.0, 0.25, 0.5]


def answered(matrix):
    return [[(j, x) for j, x in enumerate(row) if x is not None] for row in matrix]


def person_likelihood(row, theta, a, b, c):
    value = 1.0
    for j, x in row:
        p = p3(theta, a[j], b[j], c[j])
        value *= p**x * (1 - p) ** (1 - x)
    return value


def test_log_likelihood_given_theta():
    thetas = [0.3, -1.0, 1.2, -0.4, 2.0]
    expected = math.fsum(
        x * math.log(p3(t, A0[j], B0[j], C0[j])) + (1 - x) * math.log(1 - p3(t, A0[j], B0[j], C0[j]))
        for t, row in zip(thetas, answered(TINY), strict=True) for j, x in row)
    assert irt.log_likelihood(Responses.from_matrix(TINY), thetas, A0, B0, C0) == pytest.approx(expected, abs=1e-12)


def test_marginal_log_likelihood():
    nodes, weights = [-1.5, 0.0, 1.5], [0.25, 0.5, 0.25]
    expected = math.fsum(
        math.log(math.fsum(w * person_likelihood(row, t, A0, B0, C0) for t, w in zip(nodes, weights, strict=True)))
        for row in answered(TINY))
    value = irt.marginal_log_likelihood(Responses.from_matrix(TINY), A0, B0, C0, Quadrature(nodes, weights))
    assert value == pytest.approx(expected, abs=1e-12)


def hand_e_step(matrix, a, b, c, nodes, weights):
    n = [[0.0] * len(nodes) for _ in a]
    r = [[0.0] * len(nodes) for _ in a]
    for row in answered(matrix):
        joint = [w * person_likelihood(row, t, a, b, c) for t, w in zip(nodes, weights, strict=True)]
        posterior = [v / math.fsum(joint) for v in joint]
        for j, x in row:
            for q, weight in enumerate(posterior):
                n[j][q] += weight
                r[j][q] += weight * x
    return n, r


def test_expected_counts_are_the_e_step_by_hand():
    nodes, weights = [-1.5, 0.0, 1.5], [0.25, 0.5, 0.25]
    n, r = hand_e_step(TINY, A0, B0, C0, nodes, weights)
    got_n, got_r, _ = irt.expected_counts(Responses.from_matrix(TINY), A0, B0, C0, Quadrature(nodes, weights))
    assert got_n.tolist() == [pytest.approx(row, abs=1e-12) for row in n]
    assert got_r.tolist() == [pytest.approx(row, abs=1e-12) for row in r]


# With two quadrature nodes the M-step has a closed form: P(θ_q) can match r/n at both nodes, so
# ψ_q = (r/n − c)/(1 − c) and logit ψ_q = a(θ_q − b) give a and b directly.
TWO_NODES = ([-1.0, 1.0], [0.4, 0.6])
EM_DATA = [
    [1, 1, 1],
    [0, 1, 1],
    [1, 0, 1],
    [0, 0, 0],
    [1, 1, 1],
    [0, 1, None],
    [1, 1, 1],
    [0, 0, 1],
]


def closed_form_m_step(n, r, c, nodes):
    psi = [(r_q / n_q - c) / (1 - c) for n_q, r_q in zip(n, r, strict=True)]
    logits = [math.log(p / (1 - p)) for p in psi]
    a = (logits[1] - logits[0]) / (nodes[1] - nodes[0])
    return a, nodes[0] - logits[0] / a


def test_one_em_step_matches_the_closed_form():
    nodes, weights = TWO_NODES
    n, r = hand_e_step(EM_DATA, A0, B0, C0, nodes, weights)
    expected = [closed_form_m_step(n[j], r[j], C0[j], nodes) for j in range(3)]
    a, b, _ = irt.em_step(Responses.from_matrix(EM_DATA), A0, B0, C0, quadrature=Quadrature(nodes, weights),
                          priors=False)
    assert a.tolist() == pytest.approx([e[0] for e in expected], abs=1e-9)
    assert b.tolist() == pytest.approx([e[1] for e in expected], abs=1e-9)
    # and a second step from there, E-step included
    n, r = hand_e_step(EM_DATA, a.tolist(), b.tolist(), C0, nodes, weights)
    again = [closed_form_m_step(n[j], r[j], C0[j], nodes) for j in range(3)]
    a2, b2, _ = irt.em_step(Responses.from_matrix(EM_DATA), a, b, C0, quadrature=Quadrature(nodes, weights),
                            priors=False)
    assert list(zip(a2.tolist(), b2.tolist(), strict=True)) == [pytest.approx(e, abs=1e-9) for e in again]


def test_a_rasch_step_with_one_item_is_the_2pl_step():
    column = [[row[0]] for row in EM_DATA]
    data = Responses.from_matrix(column)
    quadrature = Quadrature(*TWO_NODES)
    two = irt.em_step(data, [1.0], [0.0], [0.0], quadrature=quadrature, priors=False)
    rasch = irt.em_step(data, [1.0], [0.0], [0.0], quadrature=quadrature, priors=False, model="rasch")
    assert rasch[0][0] == pytest.approx(two[0][0], abs=1e-9) and rasch[1][0] == pytest.approx(two[1][0], abs=1e-9)


def expected_complete_objective(n, r, a, b, c, nodes):
    return math.fsum(r_q * math.log(p3(t, a, b, c)) + (n_q - r_q) * math.log(1 - p3(t, a, b, c))
                     for n_q, r_q, t in zip(n, r, nodes, strict=True))


def test_a_rasch_step_maximises_the_expected_complete_likelihood():
    quadrature = irt.normal_quadrature(points=7, limit=3.0)
    nodes = quadrature.nodes.tolist()
    a0, b0 = [1.0] * 3, [0.0, -0.5, 0.5]
    n, r = hand_e_step(EM_DATA, a0, b0, C0, nodes, quadrature.weights.tolist())
    a, b, _ = irt.em_step(Responses.from_matrix(EM_DATA), a0, b0, C0, quadrature=quadrature, priors=False,
                          model="rasch")
    assert len(set(a.tolist())) == 1

    def total(common, bs):
        return math.fsum(expected_complete_objective(n[j], r[j], common, bs[j], C0[j], nodes) for j in range(3))

    h = 1e-6
    best = total(a[0], b.tolist())
    assert (total(a[0] + h, b.tolist()) - total(a[0] - h, b.tolist())) / (2 * h) == pytest.approx(0, abs=1e-6)
    for j in range(3):
        up, down = b.tolist(), b.tolist()
        up[j] += h
        down[j] -= h
        assert (total(a[0], up) - total(a[0], down)) / (2 * h) == pytest.approx(0, abs=1e-6)
        assert total(a[0], up) <= best and total(a[0], down) <= best


def test_observed_information_is_minus_the_hessian_of_the_marginal_likelihood():
    rng = np.random.default_rng(3)
    theta = rng.normal(size=300)
    a_true, b_true, c = np.array([1.2, 0.8, 1.5, 1.0]), np.array([-0.5, 0.3, 0.8, 0.0]), np.array([0.25, 0, 0.5, 0])
    matrix = (rng.random((300, 4)) < irt.probability(theta[:, None], a_true, b_true, c)).astype(float)
    data = Responses.from_matrix(matrix)
    quadrature = irt.normal_quadrature(points=31, limit=5.0)
    a, b = a_true + 0.1, b_true - 0.1  # any point: the formula is the Hessian wherever it is taken
    info = irt.observed_information(data, a, b, c, quadrature=quadrature)

    def ll(j, da, db):
        a2, b2 = a.copy(), b.copy()
        a2[j] += da
        b2[j] += db
        return irt.marginal_log_likelihood(data, a2, b2, c, quadrature)

    h = 1e-3  # central differences: truncation of order h², rounding of order 1e-16·|ℓ|/h² ≈ 1e-7
    for j in range(4):
        h_aa = (ll(j, h, 0) - 2 * ll(j, 0, 0) + ll(j, -h, 0)) / h**2
        h_bb = (ll(j, 0, h) - 2 * ll(j, 0, 0) + ll(j, 0, -h)) / h**2
        h_ab = (ll(j, h, h) - ll(j, h, -h) - ll(j, -h, h) + ll(j, -h, -h)) / (4 * h * h)
        assert info[j].tolist() == pytest.approx([-h_aa, -h_bb, -h_ab], rel=1e-5, abs=1e-5)


def test_standard_errors_invert_the_information_block():
    rng = np.random.default_rng(4)
    a_true, b_true, c = np.array([1.2, 0.8, 1.5]), np.array([-0.5, 0.3, 0.8]), np.array([0.25, 0.0, 0.5])
    theta = rng.normal(size=400)
    data = Responses.from_matrix((rng.random((400, 3)) < irt.probability(theta[:, None], a_true, b_true, c)) * 1.0)
    estimates = irt.calibrate(data, c).items  # (without priors the c = .5 item runs away: a → 30)
    a, b = np.array([item.a for item in estimates]), np.array([item.b for item in estimates])
    info = irt.observed_information(data, a, b, c)
    se_a, se_b = irt.standard_errors(data, a, b, c, priors=False)
    for j in range(3):
        inverse = np.linalg.inv([[info[j, 0], info[j, 2]], [info[j, 2], info[j, 1]]])
        assert (se_a[j], se_b[j]) == pytest.approx((math.sqrt(inverse[0, 0]), math.sqrt(inverse[1, 1])), rel=1e-12)
    with_priors = irt.standard_errors(data, a, b, c)
    assert np.all(with_priors[1] < se_b)  # a prior only adds information


# -- recovery of known parameters -----------------------------------------------------------------

def simulate(rng, a, b, c, persons, per_form, theta_sd=1.0):
    """Each person sits ``per_form`` items drawn at random from the bank: a sparse matrix."""
    theta = rng.normal(0, theta_sd, persons)
    records = []
    for person in range(persons):
        items = rng.choice(len(a), per_form, replace=False)
        right = rng.random(per_form) < irt.probability(theta[person], a[items], b[items], c[items])
        records.extend((person, int(j), float(x)) for j, x in zip(items, right, strict=True))
    return Responses.from_records(records, item_keys=list(range(len(a))))


def test_2pl_recovery_from_sparse_forms():
    # 40 items (a third of them 4-option single choice, c = 1/4), 2,500 persons answering 20 each:
    # about 1,250 responses per item. Tolerances: RMSE under 0.15 for a and b, and the standard
    # errors honest (about 95 % of the estimates within 2 SE of the truth; 85 % asked).
    rng = np.random.default_rng(20261203)
    a = np.exp(rng.normal(0, 0.3, 40))
    b = rng.normal(0, 1, 40)
    c = np.where(np.arange(40) % 3 == 0, 0.25, 0.0)
    calibration = irt.calibrate(simulate(rng, a, b, c, 2500, 20), c)
    assert calibration.converged and calibration.model == "2pl"
    est_a = np.array([item.a for item in calibration.items])
    est_b = np.array([item.b for item in calibration.items])
    se_a = np.array([item.se_a for item in calibration.items])
    se_b = np.array([item.se_b for item in calibration.items])
    assert np.sqrt(np.mean((est_a - a) ** 2)) < 0.15
    assert np.sqrt(np.mean((est_b - b) ** 2)) < 0.15
    assert np.mean(np.abs(est_a - a) < 2 * se_a) > 0.85 and np.mean(np.abs(est_b - b) < 2 * se_b) > 0.85
    assert sum(item.n for item in calibration.items) == 2500 * 20
    assert all(item.c == c_j for item, c_j in zip(calibration.items, c, strict=True))


def test_rasch_recovery():
    # A true common slope of 1.3 (the ability SD in Rasch logits) and 30 difficulties.
    rng = np.random.default_rng(7)
    b = rng.normal(0, 1, 30)
    a = np.full(30, 1.3)
    c = np.zeros(30)
    calibration = irt.calibrate(simulate(rng, a, b, c, 2000, 15), c, model="rasch")
    slopes = {item.a for item in calibration.items}
    assert len(slopes) == 1 and abs(slopes.pop() - 1.3) < 0.08
    assert np.sqrt(np.mean((np.array([item.b for item in calibration.items]) - b) ** 2)) < 0.12


def test_an_item_nobody_answered_is_left_out_and_priors_keep_extremes_finite():
    matrix = [[1, None, 1], [1, None, 0], [1, None, 1], [1, None, 0]]
    calibration = irt.calibrate(Responses.from_matrix(matrix), [0.0, 0.0, 0.0])
    first, nobody, _ = calibration.items
    assert nobody is None
    assert first.n == 4 and -15 < first.b < 0  # everyone right: easy, yet finite
    assert calibration.by_key()[0] is first


# -- priors ---------------------------------------------------------------------------------------

def test_code_deviates_are_fixed_by_the_code():
    digest = hashlib.sha256(b"GT-001").digest()
    z = [NormalDist().inv_cdf((int.from_bytes(digest[i:i + 8], "big") + 0.5) / 2**64) for i in (0, 8)]
    prior = irt.prior_parameters("GT-001", "co_ban", "single_choice", 4)
    assert prior == ItemParameters(a=math.exp(0.35 * z[0]), b=-1.0 + 0.8 * z[1], c=0.25, source="level")
    assert prior == irt.prior_parameters("GT-001", "co_ban", "single_choice", 4)
    assert irt.prior_parameters("GT-002", "co_ban", "single_choice", 4) != prior


def test_level_priors_have_the_stated_spread():
    draws = {level: [irt.prior_parameters(f"X-{i:04d}", level, "multiple_response", 4) for i in range(3000)]
             for level in ("co_ban", "trung_cap", "nang_cao")}
    for level, mean in irt.LEVEL_B_MEAN.items():
        bs = np.array([p.b for p in draws[level]])
        assert abs(bs.mean() - mean) < 0.05 and abs(bs.std() - 0.8) < 0.05
    log_a = np.log([p.a for p in draws["co_ban"]])
    assert abs(log_a.mean()) < 0.03 and abs(log_a.std() - 0.35) < 0.02
    assert all(p.c == 0 and p.n == 0 for p in draws["co_ban"])


def test_a_facility_index_fixes_the_expected_facility():
    prior = irt.prior_parameters("AT-017", "trung_cap", "single_choice", 4, facility=0.72)
    assert prior.source == "facility" and prior.c == 0.25
    # independently: the mean of P over the 61-point N(0, 1) rule
    nodes = [-6 + 12 * k / 60 for k in range(61)]
    density = [math.exp(-z * z / 2) for z in nodes]
    mean_p = math.fsum(d * p3(z, prior.a, prior.b, prior.c) for d, z in zip(density, nodes, strict=True)) / math.fsum(
        density)
    assert mean_p == pytest.approx(0.72, abs=1e-9)
    assert irt.prior_parameters("AT-017", "trung_cap", "single_choice", 4, facility=0.9).b < prior.b
    # a facility at or below the guessing floor is kept just above it
    floor = irt.prior_parameters("AT-017", "trung_cap", "single_choice", 4, facility=0.1)
    assert irt.expected_facility(floor.a, floor.b, floor.c) == pytest.approx(0.26, abs=1e-9)


def test_item_parameters_prefer_a_calibration_on_enough_responses():
    calibrated = ItemParameters(1.4, 0.2, 0.25, 0.1, 0.1, n=200)
    assert irt.item_parameters("CL-001", "co_ban", "single_choice", 4, calibrated=calibrated) is calibrated
    thin = ItemParameters(1.4, 0.2, 0.25, 0.3, 0.3, n=199)
    fallback = irt.item_parameters("CL-001", "co_ban", "single_choice", 4, calibrated=thin, facility=0.8)
    assert fallback.source == "facility"
    assert irt.item_parameters("CL-001", "co_ban", "true_false", 0).source == "level"
