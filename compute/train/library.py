"""A folder of trained weights: what the dashboard trains into and embeds from.

Each finished run is one checkpoint ``{strategy}-{backbone}-{digest}.pt`` (digest: the
first 12 hex digits of the file's SHA-256, so a name never points at other weights and the
embedder's cache, keyed by content, stays valid) with a JSON sidecar ``.json`` holding its
metadata, so that listing the folder does not load every checkpoint.

Only a *name* of this folder ever comes from a browser: :func:`trained_path` accepts a plain
file name that exists here, nothing else (no separators, no ``..``, no absolute path).
A run in progress writes ``.running-{pid}.pt``, which the listing ignores; a cancelled
run's file is removed by the next run once its process is gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from compute.progress import ProgressFn, staged
from compute.train.checkpoint import CheckpointMetadata

log = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.pt")
RUNNING_PREFIX = ".running-"


@dataclass(frozen=True)
class TrainedWeights:
    """One checkpoint of the folder: its file name, path and metadata."""

    name: str
    path: Path
    metadata: CheckpointMetadata

    @property
    def label(self) -> str:
        """One line for a menu, e.g. "simclr, resnet18 at 32 px, 5 epochs, nt_xent_loss
        4.92; trained on sem-run42, 1200 images (simclr-resnet18-0123456789ab.pt)": which
        folder the weights learnt from, so weights of one folder are not taken for
        another's."""
        m = self.metadata
        last = {k: v for k, v in (m.history[-1] if m.history else {}).items()
                if k not in ("epoch", "lr", "lr_last")}
        scores = ", ".join(f"{k} {v:.3g}" for k, v in list(last.items())[:2])
        where = f"{m.source}, {m.n_images} images" if m.source else f"{m.n_images} images"
        return (f"{m.strategy}, {m.backbone} at {m.input_size} px, {m.epochs} epoch"
                f"{'s' if m.epochs != 1 else ''}{', ' + scores if scores else ''}; trained on "
                f"{where} ({self.name})")


def list_trained(folder: str | os.PathLike[str]) -> list[TrainedWeights]:
    """The image-backbone checkpoints in ``folder``, newest first (an unreadable file is
    skipped with a WARNING; autoencoders are left out: they do not embed images)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("*.pt"):
        if not NAME_PATTERN.fullmatch(path.name):
            continue
        try:
            meta = _read_metadata(path)
        except Exception as exc:  # any damaged file (unpickling errors too) is skipped
            log.warning("skipping %s: not a readable Topograph checkpoint (%s)", path, exc)
            continue
        if meta.strategy != "autoencoder":
            found.append((path.stat().st_mtime, TrainedWeights(path.name, path, meta)))
    return [w for _, w in sorted(found, key=lambda item: (-item[0], item[1].name))]


def trained_path(folder: str | os.PathLike[str], name: str) -> Path:
    """The checkpoint called ``name`` in ``folder``; ValueError (saying what to do) for a
    name that is not a plain ``.pt`` file name of the folder."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"{name!r} is not the name of trained weights: choose one from the "
                         "Weights list (names like simclr-resnet18-0123456789ab.pt)")
    path = Path(folder) / name
    if not path.is_file():
        raise ValueError(f"trained weights {name} are not in {folder} (deleted?): choose "
                         "others from the Weights list, or train again")
    return path


def trained_weights(folder: str | os.PathLike[str], name: str) -> TrainedWeights:
    """The checkpoint called ``name`` in ``folder`` with its metadata (ValueError as
    :func:`trained_path`)."""
    path = trained_path(folder, name)
    return TrainedWeights(name, path, _read_metadata(path))


def default_options(strategy: str, n_images: int) -> object | None:
    """The strategy's options for a folder of ``n_images`` (DeepCluster: k = 300 as in the
    seeds, at most N / 10 so that a small folder still has ~10 images a cluster)."""
    if strategy != "deepcluster":
        return None
    from compute.train.deepcluster import DeepClusterOptions

    return DeepClusterOptions(k=max(2, min(300, n_images // 10)))


def train_into(folder: str | os.PathLike[str], images: str | os.PathLike[str],
               labels: str | os.PathLike[str] | None, *, strategy: str, config: object,
               input_size: int | None = None, scan_cache: str | os.PathLike[str] | None = None,
               step_cache: str | os.PathLike[str] | None = None,
               progress: ProgressFn | None = None) -> TrainedWeights:
    """Train ``strategy`` on the image folder ``images`` and add the checkpoint to ``folder``.

    ``config``: a :class:`compute.train.loop.TrainConfig`; ``input_size`` None picks
    :func:`compute.train.data.auto_input_size`. Progress: scan and load 0-10 %, training 10-100 %.
    ``strategy="adapt"`` trains EfficientNet-Lite0's last block (:mod:`compute.train.adapt`;
    input at least :data:`compute.train.adapt.MIN_INPUT_SIZE` px, its trunk features cached
    in ``step_cache``). Raises ValueError (saying what to do) for bad input, e.g. finetune
    without labels.
    """
    from compute.train.data import auto_input_size_of_folder, stack_from_folder

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    remove_abandoned_runs(folder)
    if strategy == "adapt" and input_size is None:
        from compute.train.adapt import MIN_INPUT_SIZE

        input_size = max(MIN_INPUT_SIZE, auto_input_size_of_folder(images, scan_cache))
    stack = stack_from_folder(images, labels, input_size=input_size, scan_cache=scan_cache,
                              progress=staged(progress, "loading images", "images", 0.0, 0.1))
    running = folder / f"{RUNNING_PREFIX}{os.getpid()}.pt"
    try:
        result = _train(stack, strategy, running, config, step_cache,
                        staged(progress, "training", None, 0.1, 1.0))
        return _publish(folder, running, result.metadata)
    finally:
        running.unlink(missing_ok=True)


def _train(stack, strategy: str, out: Path, config, step_cache, progress):
    """One run of ``strategy`` on ``stack`` into ``out`` (a TrainResult)."""
    if strategy == "adapt":
        from compute.cache import StepCache
        from compute.train.adapt import train_adapt

        return train_adapt(stack, out=out, config=config, progress=progress,
                           cache=StepCache(step_cache) if step_cache else None)
    from compute.train.loop import train_images

    return train_images(stack, strategy=strategy, out=out, config=config,
                        options=default_options(strategy, len(stack.pixels)),
                        progress=progress)


def publish_checkpoint(folder: str | os.PathLike[str], checkpoint: str | os.PathLike[str]
                       ) -> TrainedWeights:
    """Copy a finished checkpoint (e.g. from ``python -m compute train`` or a GPU run) into
    the library ``folder`` under its content name, with its metadata sidecar."""
    import shutil

    from compute.train.checkpoint import load_checkpoint

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = load_checkpoint(checkpoint).metadata
    running = folder / f"{RUNNING_PREFIX}{os.getpid()}.pt"
    shutil.copyfile(checkpoint, running)
    try:
        return _publish(folder, running, meta)
    finally:
        running.unlink(missing_ok=True)


def remove_abandoned_runs(folder: Path) -> int:
    """Delete the ``.running-PID.pt`` files of processes that no longer exist (a run that
    was cancelled or killed); return how many."""
    removed = 0
    for path in folder.glob(f"{RUNNING_PREFIX}*.pt*"):
        pid = path.name[len(RUNNING_PREFIX):].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _publish(folder: Path, running: Path, meta: CheckpointMetadata) -> TrainedWeights:
    """Rename the finished run to its content name and write the sidecar (sidecar first:
    a listed checkpoint always has its metadata)."""
    digest = hashlib.sha256()
    with running.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    name = f"{meta.strategy}-{meta.backbone}-{digest.hexdigest()[:12]}.pt"
    path = folder / name
    _write_sidecar(path, meta)
    os.replace(running, path)
    log.info("trained weights %s: %s", name, meta.history[-1] if meta.history else {})
    return TrainedWeights(name, path, meta)


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def _write_sidecar(path: Path, meta: CheckpointMetadata) -> None:
    tmp = _sidecar(path).with_suffix(".json.tmp")
    tmp.write_text(json.dumps(meta.to_dict(), indent=1))
    os.replace(tmp, _sidecar(path))


def _read_metadata(path: Path) -> CheckpointMetadata:
    """The sidecar's metadata, else the checkpoint's own (then the sidecar is written)."""
    sidecar = _sidecar(path)
    if sidecar.is_file():
        return CheckpointMetadata.from_dict(json.loads(sidecar.read_text()))
    from compute.train.checkpoint import load_checkpoint

    meta = load_checkpoint(path).metadata
    with contextlib.suppress(OSError):  # a read-only folder: list it anyway
        _write_sidecar(path, meta)
    return meta
