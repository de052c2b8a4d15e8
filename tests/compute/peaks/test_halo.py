"""The halo rules: DADApy's (below the highest saddle) and the border rule (near a border
and below that border's saddle)."""

from __future__ import annotations

import numpy as np
import pytest

from compute.peaks import remerge
from compute.peaks.halo import border_neighbours, halo_mask
from tests.compute.adp_toys import three_bumps


@pytest.fixture(scope="module")
def bumps():
    """Clusters A = rows 0-5, B = 6-11, C = 12-15; saddles A-B 1.5, B-C 2.5; k* = 2."""
    knn, density, clustering = three_bumps(1.0)
    assert clustering.labels.tolist() == [0] * 6 + [1] * 6 + [2] * 4
    return knn, density, clustering


def _mask(rule, bumps):
    knn, density, c = bumps
    return halo_mask(rule, labels=c.labels, log_density=density.log_density,
                     saddle_log_density=c.saddles.log_density,
                     neighbours=border_neighbours(knn.indices, density.kstar))


def test_dadapy_rule_flags_every_member_below_the_highest_saddle(bumps):
    # A below 1.5: rows 0, 1, 4, 5; B below 2.5: rows 6, 10, 11; C below 2.5: none
    assert np.flatnonzero(_mask("dadapy", bumps)).tolist() == [0, 1, 4, 5, 6, 10, 11]


def test_border_rule_flags_only_members_next_to_another_cluster_below_its_saddle(bumps):
    # row 5 (rho 0.5) touches B (saddle 1.5); row 11 (rho 1.0) touches C (saddle 2.5);
    # row 6 touches A but sits at the saddle's height (1.5, not below); rows 0, 1, 10 are
    # low but far from any other cluster: core under this rule
    assert np.flatnonzero(_mask("border", bumps)).tolist() == [5, 11]


def test_border_halo_is_a_subset_of_dadapy_halo(bumps):
    border, dadapy = _mask("border", bumps), _mask("dadapy", bumps)
    assert not (border & ~dadapy).any() and border.sum() < dadapy.sum()


def test_neighbours_stop_at_each_points_kstar():
    indices = np.array([[0, 1, 2, 3], [1, 0, 2, 3], [2, 1, 0, 3], [3, 2, 1, 0]])
    got = border_neighbours(indices, np.array([1, 3, 2, 1]))
    assert got.tolist() == [[1, -1, -1], [0, 2, 3], [1, 0, -1], [2, -1, -1]]


def test_remerge_applies_the_rule_and_border_needs_neighbours(bumps):
    knn, density, c = bumps
    from compute.peaks import find_peaks

    peaks = find_peaks(knn, density)
    neighbours = border_neighbours(knn.indices, density.kstar)
    border = remerge(peaks, z=1.0, halo=True, halo_rule="border", neighbours=neighbours)
    assert np.flatnonzero(border.is_halo).tolist() == [5, 11]
    assert (border.assignment[[5, 11]] == -1).all()
    off = remerge(peaks, z=1.0, halo=False, halo_rule="border")
    assert not off.is_halo.any()
    with pytest.raises(ValueError, match="needs each point's neighbours"):
        remerge(peaks, z=1.0, halo=True, halo_rule="border")
    with pytest.raises(ValueError, match="halo rule must be"):
        remerge(peaks, z=1.0, halo=True, halo_rule="grey", neighbours=neighbours)


def test_one_cluster_has_no_halo(bumps):
    knn, density, _ = bumps
    from compute.peaks import find_peaks

    one = remerge(find_peaks(knn, density), z=100.0, halo=True, halo_rule="border",
                  neighbours=border_neighbours(knn.indices, density.kstar))
    assert one.n_clusters == 1 and not one.is_halo.any()
