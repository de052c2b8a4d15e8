import importlib.util

import pytest
from dash import DiskcacheManager

from explorer.jobs import make_background_manager


def test_diskcache_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    manager = make_background_manager(tmp_path)
    assert isinstance(manager, DiskcacheManager)
    assert (tmp_path / "jobs").is_dir()


@pytest.mark.skipif(importlib.util.find_spec("celery") is not None,
                    reason="Celery is installed: the Redis path is tested with a real Redis")
def test_redis_url_without_celery_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://localhost:6379/0")
    with pytest.raises(RuntimeError, match="pip install"):
        make_background_manager(tmp_path)
