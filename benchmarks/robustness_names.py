"""Names survive ``kill -9``: crash the real app while experts save names, then check the DB.

    python -m benchmarks.robustness_names [--trials 100] [--clients 4] [--seed 0]
                                          [--images DIR --labels CSV] [--json OUT]

Each trial starts ``python app.py`` on a free loopback port (the demo set by default, one
cache folder and ONE names database in a temporary folder for the whole run), lets
``--clients`` threads save names through the HTTP path the browser uses (Dash's
``/_dash-update-component`` POST of the card callback, to learn a node's name id and
version, and of the save callback), and sends SIGKILL to the server at a random moment
while saves are in flight. Then, with the server dead, it opens the database and checks:

* ``PRAGMA integrity_check`` is ``ok`` (no torn or corrupt database);
* every save whose HTTP response said "Saved ... (version V)" is in the history with its
  text and version, and its name is at version V or later (nothing acknowledged is lost).

The next trial's start is the restart: its first card requests must show, for every node a
client picks, the name and version the database holds (the restarted app serves what was
acknowledged). Clients sometimes pick the same node, so conflicts ("Not saved: ... was
changed by ...") happen too; those are refused saves, never acknowledged.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from explorer import ids as main_ids  # noqa: E402
from explorer.hierarchy import ids  # noqa: E402

NO_REPLY = (OSError, ValueError, http.client.HTTPException)  # after the kill: no (whole) reply
SAVED = re.compile(r"^Saved '(?P<name>.*)' \(version (?P<version>\d+)\)", re.S)


@dataclass(frozen=True)
class Ack:
    """One save the server acknowledged."""

    node: int
    name: str
    version: int


@dataclass
class Tally:
    trials: int = 0
    acknowledged: int = 0
    refused: int = 0          # conflicts and the like: "Not saved: ..."
    unanswered: int = 0       # requests the kill cut off
    committed_unanswered: int = 0  # of those, saved anyway (allowed: never acknowledged)
    lost: int = 0             # acknowledged but missing after the crash (must be 0)
    corrupt: int = 0          # databases failing integrity_check (must be 0)
    stale_after_restart: int = 0  # restarted app showing an older name than the DB
    server_errors: int = 0    # HTTP error replies (a callback failing: must be 0)
    kill_after_s: list[float] = field(default_factory=list)
    seconds: float = 0.0


# -- the app and its Dash endpoints ---------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, work: Path, images: Path | None, labels: Path | None,
              log) -> subprocess.Popen:
    cmd = [sys.executable, "app.py", "--port", str(port), "--cache-dir", str(work / "cache"),
           "--names", str(work / "names.sqlite")]
    if images is not None:
        cmd += ["--images", str(images)] + (["--labels", str(labels)] if labels else [])
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited with {proc.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise TimeoutError("app did not start within 120 s")


def callback_signature(port: int, output: tuple[str, str]) -> dict:
    """The app's own description (``/_dash-dependencies``) of the callback writing ``output``.

    Read from the running app, so a callback that gains an input cannot silently desync
    the requests below from what the browser sends.
    """
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-dependencies",
                                timeout=30) as resp:
        dependencies = json.loads(resp.read())
    wanted = f"{output[0]}.{output[1]}"
    for dep in dependencies:
        if wanted in dep["output"].strip(".").split("..."):
            return dep
    raise LookupError(f"the app has no callback writing {wanted}")


def dash_post(port: int, signature: dict, values: dict[tuple[str, str], object],
              changed: tuple[str, str], timeout: float = 60.0) -> dict:
    """One callback request exactly as dash-renderer sends it; the JSON reply.

    ``values`` holds the value of every input and state of ``signature``; one it lacks is an
    error that names it (the callback gained an input the benchmark does not know).
    """
    def filled(items: list[dict]) -> list[dict]:
        missing = [(i["id"], i["property"]) for i in items
                   if (i["id"], i["property"]) not in values]
        if missing:
            raise KeyError(f"no value for {missing}: give it in the benchmark's request")
        return [dict(i, value=values[(i["id"], i["property"])]) for i in items]

    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1), strict=True))
               for o in signature["output"].strip(".").split("...")]
    changed_ids = [f"{changed[0]}.{changed[1]}"]
    body = {"output": signature["output"], "outputs": outputs,
            "inputs": filled(signature["inputs"]), "state": filled(signature["state"]),
            "changedPropIds": changed_ids, "parsedChangedPropsIds": changed_ids}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/_dash-update-component", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        return json.loads(resp.read())["response"]


@dataclass(frozen=True)
class Session:
    """What one browser tab holds: the analysis key and the page's cut (its view)."""

    port: int
    key: str
    view: dict
    signatures: dict = field(default_factory=dict, compare=False)

    def _signature(self, output: tuple[str, str]) -> dict:
        if output not in self.signatures:
            self.signatures[output] = callback_signature(self.port, output)
        return self.signatures[output]

    def card(self, node: int) -> tuple[str, dict]:
        """(name field, editing state) the card callback gives for ``node``."""
        reply = dash_post(
            self.port, self._signature((ids.CARD, "children")),
            {(ids.SELECTED, "data"): {"node": node}, (ids.RELOAD_BUTTON, "n_clicks"): 0,
             (main_ids.VIEW, "data"): self.view, (main_ids.SCALE_FILTER, "value"): [],
             (main_ids.RUN_KEY, "data"): self.key},
            changed=(ids.SELECTED, "data"))
        return reply[ids.NAME_INPUT]["value"], reply[ids.EDITING]["data"]

    def save(self, editing: dict, *, name: str, user: str, clicks: int) -> str:
        """The status message of the save callback."""
        reply = dash_post(
            self.port, self._signature((ids.NAME_STATUS, "children")),
            {(ids.SAVE_BUTTON, "n_clicks"): clicks, (ids.DELETE_BUTTON, "n_clicks"): 0,
             (ids.NAME_INPUT, "value"): name, (ids.NOTE_INPUT, "value"): "",
             (ids.USER_INPUT, "value"): user, (ids.EDITING, "data"): editing,
             (main_ids.RUN_KEY, "data"): self.key, (main_ids.VIEW, "data"): self.view,
             (ids.NAMES_VERSION, "data"): clicks},
            changed=(ids.SAVE_BUTTON, "n_clicks"))
        return reply[ids.NAME_STATUS]["children"]


# -- the database, read while the server is dead ------------------------------------------


def integrity_ok(db: Path) -> bool:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        return False


def has_history(db: Path) -> bool:
    """Whether the app created its tables (a run whose saves all failed may not have)."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'name_history'"
                            ).fetchone() is not None


def missing_acks(db: Path, acks: list[Ack]) -> list[Ack]:
    """The acknowledged saves the database does not hold."""
    if not has_history(db):
        return list(acks)
    with sqlite3.connect(db) as conn:
        history = {(name, version): name_id for name_id, name, version in conn.execute(
            "SELECT name_id, name, version FROM name_history")}
        current = dict(conn.execute("SELECT name_id, version FROM names"))
    return [a for a in acks if (a.name, a.version) not in history
            or current.get(history[(a.name, a.version)], 0) < a.version]


def live_version(db: Path, name_id: int) -> tuple[str, int] | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT name, version FROM names WHERE name_id = ? AND deleted = 0",
                           (name_id,)).fetchone()
    return (row[0], row[1]) if row else None


def names_in(db: Path) -> set[str]:
    if not has_history(db):
        return set()
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM name_history")}


# -- one trial -------------------------------------------------------------------------------


class Client(threading.Thread):
    """One expert: reads the card of a node, then saves new names until the server dies."""

    def __init__(self, session: Session, trial: int, number: int, node: int, db: Path,
                 ready: threading.Barrier) -> None:
        super().__init__(daemon=True)
        self.session, self.trial, self.number, self.node = session, trial, number, node
        self.db, self.ready = db, ready
        self.acks: list[Ack] = []
        self.refused = 0
        self.stale = 0
        self.errors = 0
        self.cut_off: list[str] = []

    def run(self) -> None:
        try:
            editing = self._load_card(check=True)
        finally:
            self.ready.wait()
        clicks = 0
        while editing is not None:
            clicks += 1
            name = f"t{self.trial}-c{self.number}-s{clicks}"
            try:
                message = self.session.save(editing, name=name, user=f"expert {self.number}",
                                            clicks=clicks)
            except urllib.error.HTTPError:
                self.errors += 1
                return
            except NO_REPLY:  # the server died mid-request
                self.cut_off.append(name)
                return
            found = SAVED.match(message)
            if found and found["name"] == name:
                version = int(found["version"])
                self.acks.append(Ack(node=self.node, name=name, version=version))
                editing = (dict(editing, version=version) if editing["name_id"] is not None
                           else self._load_card())
            else:
                self.refused += 1
                editing = self._load_card()

    def _load_card(self, *, check: bool = False) -> dict | None:
        try:
            name, editing = self.session.card(self.node)
        except urllib.error.HTTPError:
            self.errors += 1
            return None
        except NO_REPLY:  # the server died mid-request
            return None
        named = check and editing and editing["name_id"] is not None
        if named and live_version(self.db, editing["name_id"]) != (name, editing["version"]):
            self.stale += 1
        return editing


def run_trial(trial: int, *, args: argparse.Namespace, work: Path, session_of, n_nodes: int,
              rng: random.Random, tally: Tally, log) -> None:
    port = free_port()
    proc = start_app(port, work, args.images, args.labels, log)
    db = work / "names.sqlite"
    session = session_of(port)
    ready = threading.Barrier(args.clients + 1)
    clients = [Client(session, trial, i, rng.randrange(n_nodes), db, ready)
               for i in range(args.clients)]
    for c in clients:
        c.start()
    ready.wait()  # every client read its card: saves start now
    delay = rng.uniform(0.05, args.max_kill_after)
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for c in clients:
        c.join(timeout=30)
    acks = [a for c in clients for a in c.acks]
    corrupt = not integrity_ok(db)
    lost = missing_acks(db, acks) if not corrupt else acks
    unanswered = [n for c in clients for n in c.cut_off]
    tally.trials += 1
    tally.acknowledged += len(acks)
    tally.refused += sum(c.refused for c in clients)
    tally.unanswered += len(unanswered)
    tally.committed_unanswered += len(set(unanswered) & names_in(db)) if not corrupt else 0
    tally.lost += len(lost)
    tally.corrupt += int(corrupt)
    tally.stale_after_restart += sum(c.stale for c in clients)
    tally.server_errors += sum(c.errors for c in clients)
    tally.kill_after_s.append(round(delay, 3))
    if lost or corrupt:
        print(f"trial {trial}: LOST {[asdict(a) for a in lost]} corrupt={corrupt}", flush=True)


def prepare(args: argparse.Namespace, work: Path):
    """Warm the step cache (so trials time saves, not embeddings); (session maker, nodes)."""
    from explorer.config import AppConfig
    from explorer.state import View, analysis_key, load_run, pipeline_config

    config = AppConfig(cache_dir=(work / "cache").resolve(),
                       names_db=(work / "names.sqlite").resolve())
    if args.images is not None:
        config = AppConfig(images=args.images.resolve(),
                           labels=args.labels.resolve() if args.labels else None,
                           cache_dir=config.cache_dir, names_db=config.names_db)
    key = analysis_key(pipeline_config(config))
    view = View().store()
    run = load_run(config, key, view)
    return (lambda port: Session(port=port, key=key, view=view),
            run.clustering.tree.n_nodes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4, help="concurrent experts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-kill-after", type=float, default=1.5,
                        help="kill at a uniform random time in [0.05, this] s after saves start")
    parser.add_argument("--images", type=Path, help="image folder (default: the demo set)")
    parser.add_argument("--labels", type=Path)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="topograph-kill9-") as tmp:
        work = Path(tmp)
        session_of, n_nodes = prepare(args, work)
        start = time.perf_counter()
        with (work / "app.log").open("w") as log:
            for trial in range(args.trials):
                run_trial(trial, args=args, work=work, session_of=session_of,
                          n_nodes=n_nodes, rng=rng, tally=tally, log=log)
                if (trial + 1) % 10 == 0:
                    print(f"{trial + 1} trials, {tally.acknowledged} acknowledged, "
                          f"{tally.lost} lost, {tally.corrupt} corrupt", flush=True)
        tally.seconds = round(time.perf_counter() - start, 1)
    figures = asdict(tally)
    figures["kill_after_s"] = {"min": min(tally.kill_after_s, default=0),
                               "max": max(tally.kill_after_s, default=0)}
    figures["nodes"] = n_nodes
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    failures = tally.lost + tally.corrupt + tally.stale_after_restart + tally.server_errors
    return 0 if failures == 0 and tally.acknowledged > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
