"""Peak images on the map: inside the shown range, largest clusters first, never covering
each other; zooming in makes room for more."""

import numpy as np
import pytest

from explorer.peak_images import layout_images, placed_peaks, visible_range


def test_images_never_overlap_and_zooming_in_shows_more():
    rng = np.random.default_rng(1)
    peaks = rng.uniform(0, 10, size=(50, 2))
    populations = rng.integers(1, 100, 50)
    full = placed_peaks(peaks, populations, x_range=(0, 10), y_range=(0, 10))
    w = h = 0.09 * 10
    for a in full:
        for b in full:
            if a < b:
                assert abs(peaks[a, 0] - peaks[b, 0]) >= w or abs(peaks[a, 1] - peaks[b, 1]) >= h
    assert int(np.argmax(populations)) == full[0]  # the largest cluster first
    assert 5 <= len(full) < 50
    zoomed = placed_peaks(peaks, populations, x_range=(0, 5), y_range=(0, 5))
    inside = [k for k in range(50) if peaks[k, 0] <= 5 and peaks[k, 1] <= 5]
    in_full = [k for k in full if k in inside]
    assert set(zoomed) <= set(inside) and len(zoomed) > len(in_full)


def test_layout_images_point_at_thumbnails_at_the_peaks():
    peaks = np.array([[1.0, 2.0], [3.0, 4.0]])
    images = layout_images(peaks, ["a" * 32, "b" * 32], [1], x_range=(0, 10), y_range=(0, 20))
    assert (images[0].pop("sizex"), images[0].pop("sizey")) == pytest.approx((0.9, 1.8))
    assert images == [{"source": f"/thumbnails/{'b' * 32}.png", "xref": "x", "yref": "y",
                       "x": 3.0, "y": 4.0, "xanchor": "center",
                       "yanchor": "middle", "sizing": "contain", "layer": "above",
                       "opacity": 0.95}]


def test_visible_range_follows_the_zoom():
    coords = np.array([[0.0, 0.0], [10.0, 20.0]])
    (x0, x1), (y0, y1) = visible_range(coords, None)
    assert x0 < 0 < 10 < x1 and y0 < 0 < 20 < y1
    zoom = {"xaxis.range[0]": 2, "xaxis.range[1]": 4, "yaxis.range[0]": 5,
            "yaxis.range[1]": 1}
    assert visible_range(coords, zoom) == ((2.0, 4.0), (1.0, 5.0))
    assert visible_range(coords, {"xaxis.autorange": True}) == visible_range(coords, None)
