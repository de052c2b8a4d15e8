"""The server-side configuration of one dashboard instance."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from compute.embed.backbones import DEFAULT_BACKBONE

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_IMAGES = REPO_ROOT / "data" / "demo" / "images"
DEMO_LABELS = REPO_ROOT / "data" / "demo" / "labels.csv"
DEFAULT_CACHE = REPO_ROOT / "data" / "cache"
DEFAULT_NAMES = REPO_ROOT / "data" / "names.sqlite"
DEFAULT_HOST = "127.0.0.1"  # this machine only


@dataclass(frozen=True)
class AppConfig:
    """Which folder the dashboard explores and where it caches. Never sent to the browser."""

    images: Path = DEMO_IMAGES
    labels: Path | None = DEMO_LABELS
    cache_dir: Path = DEFAULT_CACHE
    names_db: Path = DEFAULT_NAMES  # expert names of clusters (SQLite, see compute.naming)
    scales: bool = True  # read scale bars (PipelineConfig.scales)
    scale_group: str | None = None  # analyse only this scale group (PipelineConfig.scale_group)
    host: str = DEFAULT_HOST  # the address the server binds (decides which Host it answers)
    train_device: str = "cpu"  # torch device of training jobs ("cpu", "cuda", "cuda:1", "mps")
    backbone: str = DEFAULT_BACKBONE  # the representation the page starts with (--backbone)
    redis_url: str | None = None  # jobs on Celery + Redis (--redis), else Diskcache
    users_file: Path | None = None  # sign-in with the passwords of this file (--users)
    user_header: str | None = None  # sign-in by a trusted proxy's header (--user-header)
    #: A 2-D map of more images than this is drawn as a density image, with the points
    #: themselves on zoom (explorer.density_view; --density-image-above): one WebGL trace
    #: of 150 000 points takes seconds to recolour in a GPU-less browser
    #: (benchmarks/RESULTS.md, "The browser at scale").
    density_image_above: int = 100_000

    @property
    def thumbnail_dir(self) -> Path:
        return self.cache_dir / "thumbnails"

    @property
    def full_image_dir(self) -> Path:
        """Full-resolution display images of the image viewer (explorer.viewer)."""
        return self.cache_dir / "full"

    @property
    def weights_dir(self) -> Path:
        """Weights trained in the dashboard (see :mod:`compute.train.library`)."""
        return self.cache_dir / "weights"


def folder_tag(config: AppConfig) -> str:
    """A short tag of the server's image folder (not the path): what the browser keeps
    with a selection, so a selection made on another folder is never applied here."""
    import hashlib

    return hashlib.sha256(str(config.images).encode()).hexdigest()[:12]


def kept_selection(config: AppConfig, selection: list[int] | dict | None,
                   folder: str | None) -> list[int] | None:
    """The rows of the browser's kept ``selection`` if it was made on this server's folder
    (its tag ``folder`` is :func:`folder_tag`), else None (never apply another folder's
    rows). ``selection``: rows, or a density map's lasso kept as its shape
    (:func:`explorer.density_view.shape_rows`)."""
    if folder != folder_tag(config):
        return None
    if isinstance(selection, dict):
        from explorer.density_view import shape_rows

        return shape_rows(config, selection)
    return selection
