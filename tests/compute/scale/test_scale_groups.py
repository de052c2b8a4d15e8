import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compute.scale.groups import (
    ABOVE,
    BELOW,
    GROUP_LABELS_NM,
    UNKNOWN,
    all_groups,
    bar_length_for_field,
    canonical_group,
    group_choices,
    group_sort_key,
    in_any_group,
    in_group,
    scale_group,
)


@pytest.mark.parametrize("name", list(GROUP_LABELS_NM))
def test_each_bin_label_lands_in_its_own_group(name):
    assert scale_group(label_nm=GROUP_LABELS_NM[name]) == name


@pytest.mark.parametrize(("label_nm", "group"), [
    (300, "200 nm"), (500, "1 um"), (3000, "2 um"), (5000, "10 um"), (50_000, "100 um"),
    (50, "100 nm"), (20, BELOW), (1e6, ABOVE), (300_000, "200 um"),
])
def test_labels_between_bins_go_to_the_nearest_on_a_log_scale(label_nm, group):
    assert scale_group(label_nm=label_nm) == group


def test_no_information_is_unknown():
    assert scale_group() == UNKNOWN
    assert scale_group(label_nm=0.0, field_of_view_nm=None) == UNKNOWN


def test_field_of_view_is_used_without_a_label():
    # 10 um wide frame: an instrument draws a 2 um bar (largest 1-2-5 <= 20 %)
    assert bar_length_for_field(10_000) == pytest.approx(2000)
    assert scale_group(field_of_view_nm=10_000) == "2 um"
    assert scale_group(label_nm=200, field_of_view_nm=10_000) == "200 nm"  # label wins


@given(st.floats(1.0, 1e7), st.floats(1.0, 1e7))
def test_groups_are_ordered_like_the_lengths(a, b):
    order = [BELOW, *GROUP_LABELS_NM, ABOVE]
    lo, hi = sorted((a, b))
    assert order.index(scale_group(label_nm=lo)) <= order.index(scale_group(label_nm=hi))


def test_in_group_mask_and_combined_group():
    groups = ["1 um", "2 um", "200 nm", UNKNOWN, "2 um"]
    assert in_group(groups, "2 um").tolist() == [False, True, False, False, True]
    assert np.flatnonzero(in_group(groups, "1-2 um")).tolist() == [0, 1, 4]
    assert in_group([], "1 um").shape == (0,)
    assert "1-2 um" in all_groups()


def test_in_group_rejects_unknown_names():
    with pytest.raises(ValueError, match="choose one of"):
        in_group(["1 um"], "1um")


@pytest.mark.parametrize(("written", "group"), [
    ("1-2um", "1-2 um"), ("1-2 µm", "1-2 um"), ("2UM", "2 um"), ("200nm", "200 nm"),
    (" <100 nm ", "<100 nm"), ("1-2 μm", "1-2 um")])
def test_group_names_may_be_written_loosely(written, group):
    assert canonical_group(written) == group


def test_an_unknown_group_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown scale group '3um': choose one of .*'1-2 um'"):
        canonical_group("3um")


def test_in_any_group_expands_combined_groups_and_matches_other_names_exactly():
    groups = ["1 um", "2 um", "200 nm", "no scale (no data bar)"]
    assert in_any_group(groups, ["1-2 um"]).tolist() == [True, True, False, False]
    assert in_any_group(groups, ["no scale (no data bar)", "200 nm"]).tolist() == [
        False, False, True, True]
    assert not in_any_group(groups, []).any()


def test_group_choices_count_images_and_add_combined_groups_in_size_order():
    groups = ["2 um", "no scale (no data bar)", "200 nm", "2 um", UNKNOWN]
    assert group_choices(groups) == [("200 nm", 1), ("2 um", 2), ("1-2 um", 2),
                                     (UNKNOWN, 1), ("no scale (no data bar)", 1)]
    assert sorted(["no scale (b)", "10 um", "1-2 um", "100 nm"], key=group_sort_key) == [
        "100 nm", "10 um", "1-2 um", "no scale (b)"]
