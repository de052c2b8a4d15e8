"""``celery -A explorer.celery_app worker``: the Celery worker of a deployment whose web
processes run with ``--redis URL``.

It builds the same app as the web processes, from the app.py flags in
``$TOPOGRAPH_ARGS`` (which must name the same ``--redis``, ``--images``, ``--cache-dir``
and ``--names``), so that every background callback is registered as a Celery task under
the name the web processes send. Example (see the README's facility recipe)::

    export TOPOGRAPH_ARGS="--images /data/run42 --cache-dir /srv/topograph/cache \\
        --redis redis://localhost:6379/0"
    celery -A explorer.celery_app worker --concurrency 2 --loglevel INFO
"""

from __future__ import annotations

from explorer.app import create_app
from explorer.cli import config_from_environment

config = config_from_environment()
if not config.redis_url:
    raise SystemExit("error: the Celery worker needs --redis URL in $TOPOGRAPH_ARGS (or "
                     "$TOPOGRAPH_REDIS_URL), the same as the web processes'")
dash_app = create_app(config)
app = dash_app._background_manager.handle  # the Celery app its callbacks are tasks of
