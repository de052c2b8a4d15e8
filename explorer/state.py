"""Server-side results: the browser holds a run key, the arrays stay here."""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import lru_cache

from compute.pipeline import PipelineConfig, PipelineResult, run_pipeline
from explorer.config import AppConfig


def pipeline_config(app_config: AppConfig, *, backbone: str, projection: str,
                    dims: int) -> PipelineConfig:
    """The pipeline run for the user's choices on this server's dataset."""
    return PipelineConfig(images=str(app_config.images),
                          labels=str(app_config.labels) if app_config.labels else None,
                          backbone=backbone, projection=projection, n_components=int(dims))


def run_key(config: PipelineConfig) -> str:
    """What the browser stores: the pipeline choices, never paths or arrays."""
    return json.dumps({k: v for k, v in asdict(config).items() if k not in ("images", "labels")},
                      sort_keys=True)


@lru_cache(maxsize=8)
def _load(app_config: AppConfig, key: str) -> PipelineResult:
    choices = json.loads(key)
    config = pipeline_config(app_config, backbone=choices["backbone"],
                             projection=choices["projection"], dims=choices["n_components"])
    return run_pipeline(config, cache_dir=app_config.cache_dir)


def load_result(app_config: AppConfig, key: str) -> PipelineResult:
    """The result for a run key (every step a cache hit once the job has run)."""
    return _load(app_config, key)
