"""Near duplicates: images that are shifted crops or re-saved copies of the same picture.

Exact copies (the same bytes) are found by the scan (:mod:`compute.ingest.scan`). Here, two
images are near duplicates when one, shifted, lies on the other: a frame and a crop of it,
two overlapping crops of one micrograph, or a copy re-saved as JPEG. Comparing every pair
would be quadratic, so only *candidates* are checked, e.g. each image's nearest neighbours
in the embedding (:func:`near_duplicates`). A candidate pair is confirmed by aligning the
two thumbnails (phase correlation, on a common pixel scale, or stretched to the same field
of view for a copy saved at another resolution) and measuring the normalised
cross-correlation (NCC, -1..1) of their overlap. Confirmed pairs are joined into groups
(connected components).

Thresholds (:data:`MIN_SIMILARITY`, :data:`MIN_OVERLAP`) were measured on the SEM nanowire
frames and their tiles and on shifted, re-saved copies of them, against Fashion-MNIST's
distinct look-alikes (``python -m benchmarks.bench_near_duplicates``; benchmarks/RESULTS.md,
"Near duplicates").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compute.progress import ProgressFn, report

MIN_SIMILARITY = 0.85  # NCC of the aligned, band-passed overlaps
MIN_OVERLAP = 0.5  # overlap area / the smaller image's area
# Overlaps below this many thumbnail pixels are never a match: small patches of texture
# match too many places (so images whose thumbnail is smaller are not checked at all).
MIN_OVERLAP_PIXELS = 2000
PEAKS = 3  # phase-correlation peaks tried per pair
SMOOTH = 1.5  # Gaussian sigma (thumbnail px) of the overlaps compared...
BACKGROUND = 8.0  # ...minus their Gaussian blur of this sigma: shading and ramps match anything
CANDIDATES = 10  # nearest neighbours in the embedding checked per image
SAME_FIELD_ASPECT = 0.05  # aspect ratios this close: also try "same field, other resolution"
# Above this share of images in groups the page says that clusters may follow the source.
NOTICE_FRACTION = 0.05
NEAR_DUPLICATES_VERSION = "1"


@dataclass(frozen=True)
class NearDuplicates:
    """Near-duplicate groups of N images.

    group: (N,) int64, the image's group (0..n_groups-1), -1 when it has no near duplicate.
    representative: (N,) int64, the row that stands for the image's group (its first row;
        the image itself when it has no group).
    pairs: the confirmed pairs as (row i, row j, NCC, overlap fraction), i < j.
    """

    group: np.ndarray
    representative: np.ndarray
    pairs: tuple[tuple[int, int, float, float], ...] = ()

    @property
    def n_groups(self) -> int:
        return int(self.group.max()) + 1 if self.group.size else 0

    @property
    def n_in_groups(self) -> int:
        return int((self.group >= 0).sum())

    def notice(self, *, collapsed: bool = False) -> str | None:
        """One sentence for the page when many images (:data:`NOTICE_FRACTION`) are near
        duplicates (and whether they were collapsed, :meth:`collapsed`); None otherwise."""
        n = self.group.size
        if n == 0 or self.n_in_groups < max(2, NOTICE_FRACTION * n):
            return None
        found = (f"{self.n_in_groups} images fall in {self.n_groups} near-duplicate groups "
                 "(shifted crops or copies of the same picture)")
        if collapsed:
            return (f"{found}: collapsed, each group counts once in the densities and its "
                    "images share one cluster.")
        return (f"{found}: clusters may follow the source micrograph rather than its "
                "content; collapse the copies (Compute, or --collapse-copies) to cluster "
                "distinct pictures.")

    def collapsed(self, vectors: np.ndarray) -> np.ndarray:
        """(N, D) ``vectors`` with each image's row replaced by its group representative's:
        copies become exact duplicates, which the analysis counts once (its kNN graph is
        built on distinct rows) and gives one cluster. Rows without a group are kept."""
        if len(vectors) != self.group.size:
            raise ValueError(f"{len(vectors)} vectors for {self.group.size} images")
        return np.asarray(vectors)[self.representative]

    def labels(self) -> list[str]:
        """Per image: "group 3", or "none" (no near duplicate): a column to colour by."""
        return [f"group {g}" if g >= 0 else "none" for g in self.group]

    def table(self, ids: Sequence[str], paths: Sequence[str]) -> list[dict]:
        """One row per image in a group (``near_duplicates.csv``): row, id, path, group,
        the group's size and its representative's path."""
        sizes = np.bincount(self.group[self.group >= 0], minlength=self.n_groups)
        return [{"row": int(i), "id": ids[i], "path": paths[i], "group": int(self.group[i]),
                 "group_size": int(sizes[self.group[i]]),
                 "representative": paths[self.representative[i]]}
                for i in np.flatnonzero(self.group >= 0)]


def near_duplicates(thumbnails: Sequence[np.ndarray], scales: Sequence[float],
                    candidates: np.ndarray, *, min_similarity: float = MIN_SIMILARITY,
                    min_overlap: float = MIN_OVERLAP,
                    progress: ProgressFn | None = None) -> NearDuplicates:
    """Confirm candidate pairs and group them.

    thumbnails: N grayscale arrays (h_i, w_i), any dtype (e.g. the page's thumbnails), or
        None (not checked). Overlaps below :data:`MIN_OVERLAP_PIXELS` never match.
    scales: N floats, thumbnail pixels per original pixel (so crops of one frame are
        compared at the same pixel scale).
    candidates: (N, k) int rows to check against each image (e.g. its k nearest neighbours
        in the embedding; -1 and the row itself are skipped).
    """
    n = len(thumbnails)
    if len(scales) != n or candidates.shape[0] != n:
        raise ValueError(f"{n} thumbnails, {len(scales)} scales and {candidates.shape[0]} "
                         "candidate rows: give one of each per image")
    images = [None if t is None else _prepared(t) for t in thumbnails]
    pairs = sorted({(min(i, int(j)), max(i, int(j))) for i in range(n) if images[i] is not None
                    for j in candidates[i]
                    if 0 <= j < n and j != i and images[j] is not None})
    found = []
    for done, (i, j) in enumerate(pairs):
        ncc, overlap = match(images[i], float(scales[i]), images[j], float(scales[j]),
                             min_overlap=min_overlap)
        if ncc >= min_similarity:
            found.append((i, j, round(ncc, 4), round(overlap, 4)))
        if done % 256 == 0:
            report(progress, done, len(pairs))
    report(progress, len(pairs), len(pairs))
    return grouped(n, found)


def grouped(n: int, pairs: Sequence[tuple[int, int, float, float]]) -> NearDuplicates:
    """Groups (connected components of ``pairs``) of n images, numbered by first row."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, *_ in pairs:
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    roots = np.array([root(i) for i in range(n)], dtype=np.int64)
    sizes = np.bincount(roots, minlength=n) if n else np.zeros(0, np.int64)
    in_group = sizes[roots] > 1
    group = np.full(n, -1, dtype=np.int64)
    numbers = {r: g for g, r in enumerate(sorted(set(roots[in_group].tolist())))}
    for i in np.flatnonzero(in_group):
        group[i] = numbers[roots[i]]
    return NearDuplicates(group=group, representative=roots, pairs=tuple(pairs))


def match(a: np.ndarray, scale_a: float, b: np.ndarray, scale_b: float, *,
          min_overlap: float = MIN_OVERLAP) -> tuple[float, float]:
    """(NCC, overlap fraction) of the best alignment of two grayscale images (float, mean
    removed or not): at a common pixel scale, and, when their aspect ratios agree, with
    ``b`` stretched onto ``a``'s field. (-1, 0) when no alignment overlaps enough."""
    best = (-1.0, 0.0)
    for x, y in _hypotheses(a, scale_a, b, scale_b):
        best = max(best, _aligned(x, y, min_overlap))
    return best


def _prepared(thumbnail: np.ndarray) -> np.ndarray:
    x = np.asarray(thumbnail, dtype=np.float32)
    return x.mean(axis=2) if x.ndim == 3 else x


def _hypotheses(a, scale_a, b, scale_b):
    """Pairs of arrays to align: one pixel scale; and one field of view (same aspect)."""
    if scale_a > scale_b:
        yield _resized(a, scale_b / scale_a), b
    elif scale_b > scale_a:
        yield a, _resized(b, scale_a / scale_b)
    else:
        yield a, b
    aspect_a, aspect_b = a.shape[1] / a.shape[0], b.shape[1] / b.shape[0]
    if scale_a != scale_b and abs(aspect_a / aspect_b - 1) <= SAME_FIELD_ASPECT:
        yield a, _resized_to(b, a.shape)


def _resized(x: np.ndarray, factor: float) -> np.ndarray:
    shape = (max(1, round(x.shape[0] * factor)), max(1, round(x.shape[1] * factor)))
    return _resized_to(x, shape)


def _resized_to(x: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    if x.shape == shape:
        return x
    image = Image.fromarray(x.astype(np.float32), mode="F")
    return np.asarray(image.resize((shape[1], shape[0]), Image.Resampling.BILINEAR))


def _aligned(a: np.ndarray, b: np.ndarray, min_overlap: float) -> tuple[float, float]:
    """Best (NCC, overlap) over the strongest phase-correlation shifts of b onto a."""
    smaller = min(a.size, b.size)
    best = (-1.0, 0.0)
    for dy, dx in _candidate_shifts(a, b):
        ya, yb, h = _span(a.shape[0], b.shape[0], dy)
        xa, xb, w = _span(a.shape[1], b.shape[1], dx)
        if h * w < max(MIN_OVERLAP_PIXELS, min_overlap * smaller):
            continue
        best = max(best, (_ncc(_smooth(a[ya:ya + h, xa:xa + w]),
                               _smooth(b[yb:yb + h, xb:xb + w])), h * w / smaller))
    return best


def _candidate_shifts(a: np.ndarray, b: np.ndarray) -> list[tuple[int, int]]:
    """The :data:`PEAKS` strongest shifts (dy, dx) with a[y, x] ~ b[y - dy, x - dx]."""
    height, width = a.shape[0] + b.shape[0], a.shape[1] + b.shape[1]
    fa = np.fft.rfft2(a - a.mean(), s=(height, width))
    fb = np.fft.rfft2(b - b.mean(), s=(height, width))
    cross = fa * np.conj(fb)
    surface = np.fft.irfft2(cross / (np.abs(cross) + 1e-9), s=(height, width))
    top = np.argpartition(surface.ravel(), -PEAKS)[-PEAKS:]
    shifts = []
    for flat in top[np.argsort(-surface.ravel()[top])]:
        dy, dx = np.unravel_index(flat, surface.shape)
        shifts.append((int(dy) - height if dy > height // 2 else int(dy),
                       int(dx) - width if dx > width // 2 else int(dx)))
    return shifts


def _span(length_a: int, length_b: int, shift: int) -> tuple[int, int, int]:
    """(start in a, start in b, length) of the overlap along one axis for b moved by shift."""
    start_a = max(0, shift)
    stop_a = min(length_a, length_b + shift)
    return start_a, start_a - shift, max(0, stop_a - start_a)


def _smooth(x: np.ndarray) -> np.ndarray:
    """Band-pass: blurred by :data:`SMOOTH` px (resampling and sub-pixel shifts barely
    change it) less its :data:`BACKGROUND` blur (shading, gradients and flat areas, which
    correlate between any two pictures, are gone)."""
    from scipy.ndimage import gaussian_filter

    fine = gaussian_filter(x, SMOOTH, mode="nearest") if SMOOTH else x
    return fine - gaussian_filter(x, BACKGROUND, mode="nearest") if BACKGROUND else fine


def _ncc(x: np.ndarray, y: np.ndarray) -> float:
    x = x - x.mean()
    y = y - y.mean()
    denominator = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / denominator) if denominator > 0 else -1.0


def thumbnail_inputs(records: Sequence, thumbnails: Path) -> tuple[list, list[float]]:
    """(grayscale thumbnail arrays, thumbnail px per original px) of ``records``
    (:class:`compute.ingest.ImageRecord`, thumbnails from
    :func:`compute.ingest.thumbnails.render_thumbnails`); None for an image whose thumbnail
    is missing or too small to be checked (:data:`MIN_OVERLAP_PIXELS`), read from disk only
    when it can be big enough."""
    from PIL import Image

    from compute.ingest.thumbnails import THUMB_SIZE, thumbnail_path

    arrays, scales = [], []
    for record in records:
        width, height = _original_size(record)
        scale = min(1.0, THUMB_SIZE / max(width, height, 1))
        path = thumbnail_path(thumbnails, record)
        if width * height * scale * scale < MIN_OVERLAP_PIXELS or not path.is_file():
            arrays.append(None)
            scales.append(scale)
            continue
        with Image.open(path) as image:
            arrays.append(np.asarray(image.convert("L"), dtype=np.float32))
        scales.append(arrays[-1].shape[1] / max(width, 1))
    return arrays, scales


def _original_size(record) -> tuple[int, int]:
    """(width, height) of the record's picture without its data bar (0, 0 if unknown)."""
    if record.crop_box is not None:
        left, top, right, bottom = record.crop_box
        return right - left, bottom - top
    return record.width or 0, record.height or 0
