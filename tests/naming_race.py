"""Two experts saving a name for the same cluster at the same moment, each through another
server process: one save wins, the other gets the conflict message, none is lost.

Shared by tests/explorer/test_production.py and ``python -m benchmarks.two_experts``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from explorer import ids
from explorer.config import AppConfig
from explorer.hierarchy import ids as hierarchy_ids
from tests.dashclient import DashPage

SAVED, CONFLICT = "Saved '", "Not saved: "


def save_body(page: DashPage, key: str, editing: dict, *, name: str = "blobs",
              typed_user: str = "") -> dict:
    """The naming form's Save, as the browser posts it."""
    return page.body(f"{hierarchy_ids.NAME_STATUS}.children", {
        f"{hierarchy_ids.SAVE_BUTTON}.n_clicks": 1, f"{hierarchy_ids.NAME_INPUT}.value": name,
        f"{hierarchy_ids.NOTE_INPUT}.value": "", f"{hierarchy_ids.USER_INPUT}.value": typed_user,
        f"{hierarchy_ids.EDITING}.data": editing, f"{ids.RUN_KEY}.data": key,
        f"{ids.VIEW}.data": {}, f"{hierarchy_ids.NAMES_VERSION}.data": 0},
        f"{hierarchy_ids.SAVE_BUTTON}.n_clicks")


def editing_of(config: AppConfig, key: str, node: int = 0) -> dict:
    """What the card of ``node`` holds for the naming form now (name id and version)."""
    from explorer.hierarchy.views import card_view
    from explorer.state import forget

    forget()  # read the names database as it is now, not as this process remembers it
    return card_view(config, key, {}, {"node": node})[3]


@dataclass(frozen=True)
class RoundResult:
    """The two experts' answers (the status line under Save) of one round."""

    messages: tuple[str, str]

    @property
    def saved(self) -> int:
        return sum(m.startswith(SAVED) for m in self.messages)

    @property
    def conflicts(self) -> int:
        return sum(m.startswith(CONFLICT) and "changed by" in m or "already named" in m
                   for m in self.messages)


def race(pages: tuple[DashPage, DashPage], key: str, editing: dict, names: tuple[str, str],
         users: tuple[str, str]) -> RoundResult:
    """Both experts press Save on the same card state at the same moment."""
    start = threading.Barrier(2)
    messages = ["", ""]

    def expert(i: int) -> None:
        body = save_body(pages[i], key, editing, name=names[i], typed_user=users[i])
        start.wait()
        status, answer = pages[i].post(body)
        messages[i] = (answer["response"][hierarchy_ids.NAME_STATUS]["children"]
                       if status == 200 else f"HTTP {status}")
    threads = [threading.Thread(target=expert, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return RoundResult(tuple(messages))
