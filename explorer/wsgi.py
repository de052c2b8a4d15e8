"""``gunicorn explorer.wsgi:server``: the dashboard as a WSGI application, configured by
the app.py flags in ``$TOPOGRAPH_ARGS`` (``python app.py --serve`` does the same with
its own command line; see the README's facility recipe)."""

from explorer.app import create_app
from explorer.cli import config_from_environment

server = create_app(config_from_environment()).server
