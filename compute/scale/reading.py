"""One image's scale reading: :class:`ScaleReading` and its statuses."""

from __future__ import annotations

from dataclasses import dataclass

from compute.scale.groups import UNKNOWN, scale_group

OK = "ok"
NO_DATA_BAR = "no_data_bar"
NO_BAR_FOUND = "no_bar_found"
TEXT_UNREADABLE = "text_unreadable"
OCR_FAILED = "ocr_failed"
UNREADABLE_IMAGE = "unreadable_image"
CONFLICT = "conflict"
STATUSES = (OK, NO_DATA_BAR, NO_BAR_FOUND, TEXT_UNREADABLE, OCR_FAILED, UNREADABLE_IMAGE,
            CONFLICT)


@dataclass(frozen=True)
class ScaleReading:
    """The scale of one image.

    ``status`` is one of :data:`STATUSES`; ``nm_per_pixel`` is set exactly when it is
    ``"ok"``, with ``uncertainty`` its relative uncertainty (0.01: +-1 %). ``source`` is
    ``"ocr"`` or ``"metadata:<kind>"`` (zeiss, fei, philips-xl, hitachi-txt, jeol-txt,
    imagej, resolution, dm, sxm, ...). ``label`` is the scale-bar label in canonical ASCII
    ("2 um") and ``label_nm`` its length; ``bar_px`` the segment length in pixels, +-
    ``bar_px_uncertainty``. ``nm_per_pixel_bar`` / ``nm_per_pixel_metadata`` /
    ``nm_per_pixel_magnification`` / ``nm_per_pixel_field`` (the printed field width
    ``field_width_nm`` over the image width) are the independent readings (None when
    absent): with status ``"conflict"`` they say what disagreed. ``magnification`` (e.g. 20000.0),
    ``eht_kv`` and ``wd_mm`` come from metadata or the bar's text. ``data_bar`` is the
    bar's box ``(left, top, right, bottom)`` in image pixels and ``data_bar_kind`` its
    layout (stripe, box, overlay); ``maker`` the instrument maker when the metadata or the
    bar's text tells it. ``confidence`` is in [0, 1] (0 on failure);
    ``message`` explains failures and inconsistencies.
    """

    status: str
    source: str | None = None
    nm_per_pixel: float | None = None
    label: str | None = None
    label_nm: float | None = None
    bar_px: float | None = None
    magnification: float | None = None
    eht_kv: float | None = None
    wd_mm: float | None = None
    confidence: float = 0.0
    image_width_px: int | None = None
    message: str | None = None
    uncertainty: float | None = None
    bar_px_uncertainty: float | None = None
    nm_per_pixel_bar: float | None = None
    nm_per_pixel_metadata: float | None = None
    nm_per_pixel_magnification: float | None = None
    nm_per_pixel_field: float | None = None
    field_width_nm: float | None = None
    data_bar: tuple[int, int, int, int] | None = None
    data_bar_kind: str | None = None
    maker: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def field_of_view_nm(self) -> float | None:
        """Width of the image in nm, when the pixel size and the width are known."""
        if self.nm_per_pixel is None or self.image_width_px is None:
            return None
        return self.nm_per_pixel * self.image_width_px

    @property
    def group(self) -> str:
        """The scale group (see :func:`compute.scale.groups.scale_group`); "unknown" for a
        conflict, whose label may be the wrong reading."""
        if self.status == CONFLICT:
            return UNKNOWN
        return scale_group(label_nm=self.label_nm, field_of_view_nm=self.field_of_view_nm)

    @property
    def no_scale_reason(self) -> str | None:
        """Why the image has no scale group, in words ("no data bar"); None when it has one."""
        if self.group != UNKNOWN:
            return None
        return UNKNOWN if self.ok else self.status.replace("_", " ")

    @property
    def group_or_reason(self) -> str:
        """The scale group, or ``"no scale (<why>)"`` when there is none, e.g.
        ``"no scale (no data bar)"`` (what the dashboard shows and filters by)."""
        reason = self.no_scale_reason
        return self.group if reason is None else f"no scale ({reason})"
