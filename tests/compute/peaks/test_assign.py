import numpy as np
import pytest

from compute.peaks.assign import assign_new_points


def test_new_point_takes_the_cluster_of_its_nearest_denser_point_not_its_nearest():
    old = np.array([[0.0], [1.0], [2.0], [3.0]])
    labels = np.array([0, 0, 1, 1])
    rho = np.array([5.0, 4.0, 0.0, 6.0])
    # new at 1.9: nearest is row 2 (cluster 1, rho 0 < the new point's ~0.22), then row 1
    out = assign_new_points(np.array([[1.9]]), old=old, old_log_density=rho,
                            old_labels=labels, intrinsic_dim=1.0, k=1)
    assert out.log_density[0] == pytest.approx(-np.log(2) - np.log(0.1) - np.log(4))
    assert (out.labels[0], out.neighbour[0], bool(out.denser_found[0])) == (0, 1, True)
    assert out.distance[0] == pytest.approx(0.9) and out.assigned.all()


def test_a_point_denser_than_its_neighbours_takes_the_nearest_and_is_flagged():
    old = np.array([[0.0], [1.0], [2.0], [3.0]])
    out = assign_new_points(np.array([[2.99]]), old=old, old_log_density=np.zeros(4),
                            old_labels=np.array([0, 0, 1, 1]), intrinsic_dim=1.0, k=1)
    assert (out.labels[0], out.neighbour[0], bool(out.denser_found[0])) == (1, 3, False)


def test_blobs_are_assigned_to_their_own_clusters_and_halo_is_marked():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0, 0.0], [8.0, 0.0, 0.0]])
    old = np.concatenate([rng.normal(c, 1.0, (200, 3)) for c in centres])
    labels = np.repeat([0, 1], 200)
    # a density that peaks at each centre (what ADP would have estimated)
    rho = -np.min(np.linalg.norm(old[:, None] - centres[None], axis=2), axis=1)
    new = np.concatenate([rng.normal(c, 1.0, (30, 3)) for c in centres])
    out = assign_new_points(new, old=old, old_log_density=rho, old_labels=labels,
                            intrinsic_dim=3.0, k=5, halo_threshold=np.array([-1.0, -1.0]))
    assert out.labels.tolist() == [0] * 30 + [1] * 30
    assert out.is_halo.tolist() == (out.log_density < -1.0).tolist()
    # an exact copy of an original point gets that point's cluster
    copy = assign_new_points(old[[7, 250]], old=old, old_log_density=rho, old_labels=labels,
                             intrinsic_dim=3.0, k=1)
    assert copy.labels.tolist() == [0, 1] and not copy.denser_found.any()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"new": np.zeros((2, 3))}, "same backbone"),
    ({"k": 10}, "k <= 4"),
    ({"old_labels": np.zeros(3, dtype=int)}, "one value per original point"),
    ({"new": np.full((1, 2), np.nan)}, "finite"),
])
def test_bad_input_is_refused_with_the_fix(kwargs, message):
    args = {"new": np.zeros((1, 2)), "old": np.eye(4, 2), "old_log_density": np.zeros(4),
            "old_labels": np.zeros(4, dtype=int), "intrinsic_dim": 2.0, "k": 2} | kwargs
    with pytest.raises(ValueError, match=message):
        assign_new_points(**args)
