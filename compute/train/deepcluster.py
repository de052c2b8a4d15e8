"""DeepCluster (Caron et al. 2018): learn features from their own k-means clusters, no labels.

Each epoch: features of the (centre-cropped) images -> PCA to 256 dimensions, whitened and
L2-normalised -> k-means (faiss) with k clusters -> pseudo-labels; a freshly initialised
linear head is trained with the backbone on those pseudo-labels (augmented views), the
cross-entropy weighted by inverse cluster size. Optional Sobel input filtering (a fixed
layer inside the backbone). Known labels, where there are any, are only *monitored*: NMI
between the pseudo-labels and them is reported each epoch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from compute.progress import ProgressFn, report, scaled
from compute.train.data import ImageStack, batch_tensor, batches
from compute.train.loop import TrainConfig, capped, sgd

if TYPE_CHECKING:
    from torch import nn

DEFAULT_LR = 0.05


@dataclass(frozen=True)
class DeepClusterOptions:
    """k: clusters (seeds: 300). pca_dim: dimensions before k-means. kmeans_iters: Lloyd
    iterations. cluster_limit: cluster and train on at most this many images per epoch (a
    fresh random subset each epoch; None: all). min_scale: smallest crop area of the views."""

    k: int = 300
    pca_dim: int = 256
    kmeans_iters: int = 20
    cluster_limit: int | None = None
    min_scale: float = 0.08


def pca_whiten(features: np.ndarray, *, dim: int, random_state: int) -> np.ndarray:
    """(N, min(dim, D, N-1)) float32: PCA-reduced, whitened, rows L2-normalised."""
    from sklearn.decomposition import PCA

    dim = min(dim, features.shape[1], features.shape[0] - 1)
    reduced = PCA(n_components=dim, whiten=True, random_state=random_state).fit_transform(
        features.astype(np.float64))
    reduced /= np.linalg.norm(reduced, axis=1, keepdims=True) + 1e-12
    return reduced.astype(np.float32)


def kmeans_assign(x: np.ndarray, *, k: int, iters: int, seed: int) -> np.ndarray:
    """Cluster index (N,) int64 of each row of x (N, d) float32 by faiss k-means."""
    import faiss

    km = faiss.Kmeans(x.shape[1], k, niter=iters, seed=seed, verbose=False,
                      max_points_per_centroid=max(256, len(x) // k + 1))
    km.train(np.ascontiguousarray(x))
    _, assign = km.index.search(np.ascontiguousarray(x), 1)
    return assign[:, 0].astype(np.int64)


def inverse_size_weights(assign: np.ndarray, k: int) -> np.ndarray:
    """(k,) float32 class weights 1/n_c, scaled so that the mean weight per image is 1
    (empty clusters get 0)."""
    counts = np.bincount(assign, minlength=k).astype(np.float64)
    weights = np.where(counts > 0, 1.0 / np.maximum(counts, 1), 0.0)
    weights *= len(assign) / max(int((counts > 0).sum()), 1)
    return weights.astype(np.float32)


class DeepClusterTrainer:
    def __init__(self, stack: ImageStack, backbone: nn.Module, config: TrainConfig,
                 options: DeepClusterOptions) -> None:
        from compute.train.augment import light_augmentation

        n = len(stack.pixels) if options.cluster_limit is None else min(
            options.cluster_limit, len(stack.pixels))
        if options.k < 2 or options.k > n // 2:
            raise ValueError(f"DeepCluster needs 2 <= k <= N/2 = {n // 2} (N = {n} images "
                             f"clustered per epoch); got k = {options.k}: pass a smaller --k")
        self.stack, self.backbone, self.config, self.options = stack, backbone, config, options
        lr = config.lr or DEFAULT_LR
        self.optimizer = sgd(backbone.parameters(), config, lr)
        self.augment = light_augmentation(
            stack.preprocessing.crop, min_scale=options.min_scale, device=config.device)
        self.params = {"lr": lr, **asdict(options)}

    def run_epoch(self, epoch: int, rng: np.random.Generator,
                  progress: ProgressFn | None) -> dict[str, float]:
        import torch

        n = len(self.stack.pixels)
        rows = np.arange(n) if self.options.cluster_limit is None or \
            self.options.cluster_limit >= n else np.sort(
                rng.choice(n, self.options.cluster_limit, replace=False))
        features = extract(self.backbone, self.stack, rows, self.config, scaled(progress, 0, 0.3))
        reduced = pca_whiten(features, dim=self.options.pca_dim, random_state=self.config.seed)
        assign = kmeans_assign(reduced, k=self.options.k, iters=self.options.kmeans_iters,
                               seed=int(rng.integers(2**31 - 1)))
        weights = torch.from_numpy(inverse_size_weights(assign, self.options.k))
        head = self._fresh_head(features.shape[1])
        head_opt = torch.optim.SGD(head.parameters(), lr=self.optimizer.param_groups[0]["lr"],
                                   weight_decay=self.config.weight_decay)
        steps = capped(batches(len(rows), self.config.batch_size, rng=rng, drop_last=True),
                       self.config)
        part = scaled(progress, 0.3, 1.0)
        total = 0.0
        for i, step in enumerate(steps):
            x = batch_tensor(self.stack, rows[step], augment=self.augment).to(self.config.device)
            y = torch.from_numpy(assign[step]).to(self.config.device)
            loss = torch.nn.functional.cross_entropy(head(self.backbone(x)), y,
                                                     weight=weights.to(self.config.device))
            self.optimizer.zero_grad()
            head_opt.zero_grad()
            loss.backward()
            self.optimizer.step()
            head_opt.step()
            total += loss.item()
            report(part, i + 1, len(steps))
        return {"cluster_loss": total / max(len(steps), 1),
                "clusters_used": float(len(np.unique(assign))),
                **_nmi_to_labels(assign, self.stack.labels[rows])}

    def steps_in_epoch(self) -> int:
        n = len(self.stack.pixels)
        rows = n if self.options.cluster_limit is None else min(self.options.cluster_limit, n)
        return len(capped(batches(rows, self.config.batch_size, drop_last=True), self.config))

    def _fresh_head(self, dim: int) -> nn.Module:
        from torch import nn

        head = nn.Linear(dim, self.options.k)
        nn.init.normal_(head.weight, 0.0, 0.01)
        nn.init.zeros_(head.bias)
        return head.to(self.config.device)

    def state(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer.state_dict()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])


def extract(backbone: nn.Module, stack: ImageStack, rows: np.ndarray, config: TrainConfig,
            progress: ProgressFn | None) -> np.ndarray:
    from compute.train.backbone import extract_features

    return extract_features(backbone, stack, rows=rows, batch_size=max(config.batch_size, 256),
                            device=config.device, progress=progress)


def _nmi_to_labels(assign: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """NMI of the pseudo-labels against the known labels (empty when none are known)."""
    from sklearn.metrics import normalized_mutual_info_score

    known = labels >= 0
    if known.sum() < 2:
        return {}
    return {"nmi_pseudo_vs_labels": float(normalized_mutual_info_score(labels[known],
                                                                        assign[known]))}


def make_trainer(stack: ImageStack, backbone: nn.Module, config: TrainConfig,
                 options: object | None) -> DeepClusterTrainer:
    return DeepClusterTrainer(stack, backbone, config, options or DeepClusterOptions())
