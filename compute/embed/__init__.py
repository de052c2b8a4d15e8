"""Embeddings: one vector per usable image, stored per image id and model.

Backbones (:data:`BACKBONES`): ``pixels`` (28x28 grayscale pixels, the raw baseline),
torchvision ResNet-18/34/50/101/152 and EfficientNet-Lite0. Features are the pooled
penultimate layer (2048-d for ResNet-50) or the logits. Weights: see
:mod:`compute.embed.backbones`. Vectors are cached per image id under a key made of
(backbone, weights fingerprint, features, preprocessing, code version), so only images
not seen before are embedded.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compute.cache import StepCache, fingerprint_params
from compute.embed.backbones import (
    AUTO_BACKBONE,
    BACKBONE_CHOICES,
    BACKBONES,
    DEFAULT_BACKBONE,
    FALLBACK_BACKBONE,
    FEATURES,
    PREFERRED_BACKBONE,
    REPRESENTATION_KINDS,
    BackboneSpec,
    Weights,
    build_model,
    representation_kind,
    resolve_backbone,
    resolve_weights,
)
from compute.embed.checkpoint import Checkpoint, read_weights_file, save_checkpoint
from compute.embed.extract import default_workers, extract_missing, store_path
from compute.embed.preprocess import (
    Preprocessing,
    preprocessing_for,
    preprocessing_for_checkpoint,
)
from compute.embed.seed import seed_store
from compute.embed.store import FeatureStore
from compute.ingest import Dataset
from compute.progress import ProgressFn

log = logging.getLogger(__name__)
EMBED_VERSION = "2"

__all__ = [
    "AUTO_BACKBONE", "BACKBONES", "BACKBONE_CHOICES", "DEFAULT_BACKBONE", "EMBED_VERSION",
    "FEATURES", "REPRESENTATION_KINDS", "BackboneSpec", "Checkpoint", "EmbeddingModel",
    "Embeddings", "auto_backbone_for", "FeatureStore", "Preprocessing", "Weights", "embed_dataset",
    "open_feature_store", "prepare_model", "read_weights_file", "representation_kind",
    "resolve_backbone", "resolve_weights",
    "save_checkpoint",
]


@dataclass(frozen=True)
class Embeddings:
    """``vectors`` (N, D) float32, row i belonging to the image ``ids[i]`` / ``paths[i]``.

    ``backbone`` is the resolved network (never "auto"); ``weights`` describes the weights
    in words; ``title`` names the representation plainly (e.g. "EfficientNet-Lite0,
    ImageNet weights (1280-d)"); ``key`` identifies model, weights, features and
    preprocessing; ``failures`` lists (path, error) of files that broke after the scan
    (they have no row).
    """

    vectors: np.ndarray
    ids: tuple[str, ...]
    paths: tuple[str, ...]
    backbone: str
    weights: str
    features: str = "penultimate"
    key: str = ""
    failures: tuple[tuple[str, str], ...] = ()
    title: str = ""
    preprocessing: str = ""  # the input recipe in words (Preprocessing.describe)

    @property
    def kind(self) -> str:
        """"cnn" or "pixels": what kind of vectors these are (:func:`representation_kind`)."""
        return representation_kind(self.backbone)


@dataclass(frozen=True)
class EmbeddingModel:
    """A ready network: resolved ``weights``, the ``features`` it outputs, its input recipe
    and the ``module`` (torch, eval mode; None until :meth:`network` builds it, see
    ``prepare_model(build=False)``). ``key`` names its feature store."""

    weights: Weights
    features: str
    preprocessing: Preprocessing
    module: object
    dim: int
    random_state: int = 0

    def network(self):
        """The torch module (built now when :func:`prepare_model` did not)."""
        if self.module is not None:
            return self.module
        return build_model(self.weights, features=self.features, random_state=self.random_state)

    @property
    def title(self) -> str:
        """The representation's plain name, e.g. "ResNet-50, ImageNet weights (2048-d)"."""
        return self.weights.title(self.dim)

    @property
    def key(self) -> str:
        return fingerprint_params({"version": EMBED_VERSION, "backbone": self.weights.backbone,
                                   "weights": self.weights.fingerprint,
                                   "features": self.features,
                                   "preprocessing": self.preprocessing.fingerprint})


def prepare_model(backbone: str, *, weights: str = "auto", features: str = "penultimate",
                  keep_data_bar: bool = False, input_size: int | None = None,
                  random_state: int = 0, build: bool = True) -> EmbeddingModel:
    """Resolve weights, build the network and log (WARNING) which weights are in use.

    ``build=False`` leaves the network to :meth:`EmbeddingModel.network` (for pooled
    penultimate features, whose width is known without it): a run whose vectors are all
    stored never loads the weights.

    ``input_size``: side of the network input in pixels. None: what a Topograph checkpoint
    was trained at (its metadata also gives the resize, normalisation and a Sobel input
    filter), else 224 as in ImageNet training. An explicit size that differs from a
    checkpoint's wins, with a WARNING.
    """
    resolved = resolve_weights(backbone, weights, random_state=random_state)
    spec = BACKBONES[resolved.backbone]
    module = (build_model(resolved, features=features, random_state=random_state)
              if build or features != "penultimate" else None)
    level = logging.INFO if spec.family == "pixels" else logging.WARNING
    log.log(level, "embedding model: %s; features: %s", resolved.describe(), features)
    return EmbeddingModel(weights=resolved, features=features,
                          preprocessing=_preprocessing(spec, resolved, input_size,
                                                       keep_data_bar),
                          module=module, dim=_output_dim(module, spec, features),
                          random_state=random_state)


def _preprocessing(spec: BackboneSpec, weights: Weights, input_size: int | None,
                   keep_data_bar: bool) -> Preprocessing:
    trained = None if spec.family == "pixels" else preprocessing_for_checkpoint(
        weights.metadata, input_size=input_size, keep_data_bar=keep_data_bar)
    return trained or preprocessing_for(spec.family, keep_data_bar=keep_data_bar,
                                        input_size=input_size or spec.input_size)


def open_feature_store(model: EmbeddingModel, cache_dir: str | os.PathLike[str] | None
                       ) -> FeatureStore:
    """The model's feature store under ``cache_dir`` (in memory when None)."""
    path = store_path(Path(cache_dir), model.weights.backbone, model.key) if cache_dir else None
    return FeatureStore(path, dim=model.dim,
                        meta={"backbone": model.weights.backbone,
                              "weights": model.weights.fingerprint,
                              "features": model.features, "key": model.key})


def auto_backbone_for(folder: str | os.PathLike[str], weights: str = "auto", *,
                      features: str = "penultimate", keep_data_bar: bool = False,
                      input_size: int | None = None) -> str:
    """What the backbone "auto" is for the images of ``folder``: :func:`resolve_backbone`'s
    choice, except that when that is :data:`PREFERRED_BACKBONE` (its ImageNet weights are
    on disk) and the folder ships the features of :data:`FALLBACK_BACKBONE` but not its
    own (:mod:`compute.embed.seed`, e.g. the demo), the shipped network: its first page
    comes at once, where ResNet-50 would embed the whole folder first (~15 min for the
    demo's 2 000 images on 2 cores). Asking for ``resnet50`` by name still gets it."""
    from compute.embed.seed import seed_path

    chosen = resolve_backbone(AUTO_BACKBONE, weights)
    if chosen != PREFERRED_BACKBONE or weights not in ("auto", "imagenet"):
        return chosen

    def ships(backbone: str) -> bool:
        resolved = resolve_weights(backbone, weights)
        preprocessing = _preprocessing(BACKBONES[resolved.backbone], resolved, input_size,
                                       keep_data_bar)
        key = EmbeddingModel(weights=resolved, features=features, preprocessing=preprocessing,
                             module=None, dim=0).key
        return seed_path(folder, key).is_file()

    if not ships(PREFERRED_BACKBONE) and ships(FALLBACK_BACKBONE):
        log.warning("backbone auto: %s, whose features %s ships (ResNet-50 would embed every "
                    "image first; ask for --backbone %s to have it)", FALLBACK_BACKBONE,
                    folder, PREFERRED_BACKBONE)
        return FALLBACK_BACKBONE
    return chosen


def embed_dataset(dataset: Dataset, *, backbone: str = "pixels", weights: str = "auto",
                  features: str = "penultimate", keep_data_bar: bool = False,
                  input_size: int | None = None, cache: StepCache | None = None,
                  store_dir: str | os.PathLike[str] | None = None, batch_size: int = 32,
                  workers: int | None = None, device: str = "cpu", random_state: int = 0,
                  progress: ProgressFn | None = None) -> Embeddings:
    """Embed every usable image of ``dataset``; only images without a stored vector run.

    The feature store lives in ``store_dir``, else in ``cache``'s folder, else in memory;
    vectors the folder ships for this model (:mod:`compute.embed.seed`) fill it first.
    ``workers`` decoding processes (None: :func:`default_workers`); ``device`` "cpu" or
    "cuda"; ``input_size`` the side of the network input (None: a checkpoint's own, else
    224; see :func:`prepare_model`). Raises ValueError if
    nothing is usable or the model cannot be had.
    """
    usable = dataset.usable
    if not usable:
        raise ValueError(f"no readable images in {dataset.root} ({dataset.summary()}): point "
                         "it at a folder of .png, .jpg or .tif images")
    if backbone == AUTO_BACKBONE:
        backbone = auto_backbone_for(dataset.root, weights, features=features,
                                     keep_data_bar=keep_data_bar, input_size=input_size)
    model = prepare_model(backbone, weights=weights, features=features,
                          keep_data_bar=keep_data_bar, input_size=input_size,
                          random_state=random_state, build=False)
    root = store_dir if store_dir is not None else (cache.root if cache else None)
    store = open_feature_store(model, root)
    try:
        seed_store(store, dataset.root, model.key, [r.id for r in usable])
        network = model.network() if store.missing([r.id for r in usable]) else None
        errors = extract_missing(
            dataset, usable, model=network, preprocessing=model.preprocessing,
            store=store, batch_size=batch_size,
            workers=default_workers() if workers is None else workers, device=device,
            progress=progress)
        kept = tuple(r for r in usable if r.path not in errors)
        vectors = store.get([r.id for r in kept])
    finally:
        store.close()
    return Embeddings(vectors=vectors, ids=tuple(r.id for r in kept),
                      paths=tuple(r.path for r in kept), backbone=model.weights.backbone,
                      weights=model.weights.describe(), features=features, key=model.key,
                      failures=tuple(errors.items()), title=model.title,
                      preprocessing=model.preprocessing.describe())


def _output_dim(module, spec: BackboneSpec, features: str) -> int:
    if features == "penultimate":
        return spec.feature_dim
    head = module.fc if spec.family == "resnet" else getattr(module, "_fc", None)
    return int(head.out_features) if head is not None else spec.feature_dim
