"""Representation learning: train the backbone that the embedder loads.

Five strategies share one data pipeline, one epoch loop and one checkpoint format:

- ``finetune``    supervised cross-entropy on the labelled subset (80/20 split);
- ``triplet``     batch-hard triplet loss on the labelled subset;
- ``deepcluster`` no labels: k-means pseudo-labels on the network's own features;
- ``simclr``      no labels: two augmented views, NT-Xent loss;
- ``adapt``       no labels, fits a CPU: EfficientNet-Lite0's last block trained on cached
                  features by neighbour distillation (:mod:`compute.train.adapt`);
- ``autoencoder`` reduces existing embeddings (an ``.npy``) to a low-dimensional code.

Entry points: :func:`compute.train.loop.train_images` (images in memory),
:func:`compute.train.autoencoder.train_autoencoder` (embeddings in memory),
:func:`compute.train.checkpoint.load_backbone` (a checkpoint back as a feature extractor).
"""

from __future__ import annotations

IMAGE_STRATEGIES = ("finetune", "triplet", "deepcluster", "simclr")  # ResNets, epoch loop
FOLDER_STRATEGIES = IMAGE_STRATEGIES + ("adapt",)  # everything trained on an image folder
STRATEGIES = FOLDER_STRATEGIES + ("autoencoder",)
