"""Starting and stopping `packformer serve` for the server tests: a free loopback port chosen
by the server (--port 0, read from its start-up line), /health polled until ready, SIGTERM
and the exit status. Everything is bounded in time; only 127.0.0.1 is contacted."""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import signal
import subprocess
import tempfile
import time


class Server:
    def __init__(self, cli: str, model: str, *args: str, start_timeout: float = 60.0):
        self.log = tempfile.NamedTemporaryFile(prefix="packformer-serve-", suffix=".log", delete=False)
        env = dict(os.environ, OMP_WAIT_POLICY="passive")
        command = [cli, "serve", "--model", model, "--host", "127.0.0.1", "--port", "0", *args]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self.log, env=env)
        self.port = self._wait_for_port(start_timeout)
        self._wait_for_health(start_timeout)

    def _stderr(self) -> str:
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def _wait_for_port(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self._stderr())
            if match:
                return int(match.group(1))
            if self.process.poll() is not None:
                raise RuntimeError(f"packformer serve exited with {self.process.returncode}:\n{self._stderr()}")
            time.sleep(0.05)
        self.process.kill()
        raise RuntimeError(f"packformer serve did not start in {timeout} s:\n{self._stderr()}")

    def _wait_for_health(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("/health never answered 200")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body=None, headers=None, timeout: float = 60.0):
        """One request on a fresh connection: (status, parsed JSON or text, headers)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
            connection.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
            response = connection.getresponse()
            raw = response.read()
            content_type = response.getheader("Content-Type", "")
            value = json.loads(raw) if "json" in content_type and raw else raw.decode("utf-8", "replace")
            return response.status, value, dict(response.getheaders())
        finally:
            connection.close()

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then the exit status (killed and an error if it does not exit in time)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise RuntimeError(f"packformer serve did not exit within {timeout} s of SIGTERM")
        finally:
            os.unlink(self.log.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def cli_json_lines(cli: str, command: str, model: str, texts: list[str], *args: str) -> list:
    """The CLI's output for `texts` (one per line): one JSON value per input."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in texts))
        path = f.name
    try:
        threads = ["--threads", "2"] if command in ("embed", "classify") else []
        out = subprocess.run([cli, command, "--model", model, "--input", path, *threads, *args],
                             capture_output=True, text=True, timeout=300, check=True,
                             env=dict(os.environ, OMP_WAIT_POLICY="passive"))
    finally:
        os.unlink(path)
    return [json.loads(line) for line in out.stdout.splitlines()]


def cosine(a, b) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
