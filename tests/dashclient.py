"""A Dash page over plain HTTP, as the renderer drives it: callback POSTs built from the
server's own callback map (``/_dash-dependencies``), and background jobs started, polled
and cancelled with the page load's signed handles (``endId``, ``cacheKey``, ``job``).

Lets a test start a job on one server process and poll or cancel it on another, which a
browser (that keeps its connections) cannot be made to do on purpose.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.parse
from dataclasses import dataclass

CONFIG_SCRIPT = re.compile(r'<script id="_dash-config" type="application/json">(.*?)</script>',
                           re.S)


@dataclass(frozen=True)
class Job:
    """The signed handles of a started background job (valid with the page's endId)."""

    cache_key: str
    job: str


class DashPage:
    """One page load of the app at ``url`` (its endId), with extra request headers."""

    def __init__(self, url: str, *, headers: dict | None = None) -> None:
        self.url, self.headers = url, dict(headers or {})
        status, html = self.request("GET", "/")
        if status != 200:
            raise RuntimeError(f"GET / answered HTTP {status}: {html[:300]!r}")
        self.end_id = json.loads(CONFIG_SCRIPT.search(html.decode()).group(1))["end_id"]
        self.callbacks = json.loads(self.request("GET", "/_dash-dependencies")[1])

    def on(self, url: str) -> DashPage:
        """The same page load (endId) talking to another server process at ``url``."""
        other = object.__new__(DashPage)
        other.__dict__.update(self.__dict__, url=url)
        return other

    def request(self, method: str, path: str, body: dict | None = None,
                timeout: float = 120) -> tuple[int, bytes]:
        parts = urllib.parse.urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        headers = {**self.headers, **({"Content-Type": "application/json"} if body else {})}
        conn.request(method, path, json.dumps(body).encode() if body else None, headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, data

    def body(self, first_output: str, values: dict, changed: str) -> dict:
        """The POST body of the callback whose first output is ``first_output``
        ("id.property"), with ``values`` {"id.property": value} for its inputs and state."""
        cb = next(c for c in self.callbacks if c["output"].lstrip(".").startswith(first_output))
        key = cb["output"]
        parts = key.strip(".").split("...") if key.startswith("..") else [key]
        outputs = [dict(zip(("id", "property"), p.split(".", 1), strict=True)) for p in parts]

        def filled(deps):
            return [{**d, "value": values.get(f"{d['id']}.{d['property']}")} for d in deps]

        return {"output": key, "outputs": outputs if key.startswith("..") else outputs[0],
                "inputs": filled(cb["inputs"]), "state": filled(cb.get("state", [])),
                "changedPropIds": [changed]}

    def post(self, body: dict, **params) -> tuple[int, dict | None]:
        query = urllib.parse.urlencode({"endId": self.end_id, **params})
        status, data = self.request("POST", f"/_dash-update-component?{query}", body)
        return status, (json.loads(data) if status == 200 and data else None)

    def start(self, body: dict) -> Job:
        status, answer = self.post(body)
        if status != 200 or "job" not in (answer or {}):
            raise RuntimeError(f"the job did not start: HTTP {status} {answer}")
        return Job(cache_key=answer["cacheKey"], job=answer["job"])

    def poll(self, body: dict, job: Job) -> tuple[int, dict | None]:
        """One poll of a running job: (status, answer); 204 / progress while it runs."""
        return self.post(body, cacheKey=job.cache_key, job=job.job)

    def wait(self, body: dict, job: Job, *, timeout: float = 120,
             until=lambda status, answer: status == 200 and "response" in (answer or {})
             ) -> tuple[int, dict | None]:
        """Poll every 0.2 s until ``until(status, answer)``; the last answer."""
        deadline = time.monotonic() + timeout
        while True:
            status, answer = self.poll(body, job)
            if until(status, answer):
                return status, answer
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer within {timeout} s; last: {status} {answer}")
            time.sleep(0.2)

    def cancel(self, cancel_input: str, job: Job) -> int:
        """Press the job's Cancel button (``cancel_input``: "id.n_clicks")."""
        body = self.body(f"{cancel_input.split('.')[0]}.id", {cancel_input: 1}, cancel_input)
        return self.post(body, cancelJob=job.job)[0]
