"""Fixtures of the explorer tests."""

import pytest

from explorer.config import AppConfig


@pytest.fixture
def app_config(blob_folder, tmp_path):
    """The dashboard's configuration for the 12-image ``blob_folder`` (labelled), with its
    own cache and names database; the page starts on the pixel baseline (fast)."""
    images, labels = blob_folder
    return AppConfig(images=images, labels=labels, cache_dir=tmp_path / "cache",
                     names_db=tmp_path / "names.sqlite", backbone="pixels")
