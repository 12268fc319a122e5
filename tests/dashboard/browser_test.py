#!/usr/bin/python3
"""The dashboard in a real browser: headless Chromium watching a sweep run.

Starts `ltsweep coordinator --http 127.0.0.1:0`, one `ltsweep worker` slot
running the fake trainer slowed down, submits a sweep of 4 trials, opens the
sweep's page in headless Chromium and drives it over the DevTools protocol
(a websocket; a minimal client below, Python's standard library only), and
checks what a person would see: the trial table's rows, the results table,
a learning curve's SVG, and that the page updates after a trial finishes
WITHOUT a reload (a marker set in the page's window survives while the
table's succeeded count grows). Then the trial page: its curves and config.
The sweep is named with markup (an <img onerror=...>): every page must show
it as text and run none of it.

Exit 0: passed; 1: failed (the reason on stderr); 77: skipped (no Chromium).

  browser_test.py --ltsweep build/cli/ltsweep --fake-trainer build/.../ltsweep-fake-train
"""
import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

CHROMIUM = os.environ.get("LTSWEEP_CHROMIUM", "/usr/bin/chromium")
TRIALS = 4
EPOCHS = 4
EPOCH_MS = 700  # slow enough that the page is watched while trials run


class Failure(Exception):
    pass


class WebSocket:
    """A minimal RFC 6455 client: text frames, client-side masking, no extensions."""

    def __init__(self, url):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        if not m:
            raise Failure("bad websocket url " + url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {m.group(3)} HTTP/1.1\r\nHost: {m.group(1)}:{m.group(2)}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise Failure("websocket handshake: connection closed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise Failure("websocket handshake refused: " + head.decode(errors="replace"))

    def send(self, text):
        data = text.encode()
        header = bytes([0x81])
        n = len(data)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise Failure("websocket closed")
            buf += chunk
        return buf

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            payload = self._exact(n)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise Failure("websocket closed by the browser")
            if opcode in (0x9, 0xA):
                continue
            message += payload
            if b0 & 0x80:
                return message.decode()


class Page:
    """One browser tab over the DevTools protocol."""

    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise Failure(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def eval(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise Failure(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression, what, timeout=30):
        deadline = time.time() + timeout
        value = None
        while time.time() < deadline:
            value = self.eval(expression)
            if value:
                return value
            time.sleep(0.2)
        raise Failure(f"timed out after {timeout} s waiting for {what} ({expression} -> {value!r})")


def wait_file(path, what, procs, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and open(path).read().strip():
            return int(open(path).read().strip())
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.1)
    raise Failure(f"no {what} in {path}")


def start_sweep(args, tmp, logs):
    """A coordinator with its HTTP port, one worker slot with the slowed fake
    trainer, and a sweep submitted to them. Returns (processes, http port)."""
    def log(name):
        f = open(os.path.join(tmp, name + ".log"), "w+")
        logs[name] = f
        return f
    procs = []
    coordinator = subprocess.Popen(
        [args.ltsweep, "coordinator", "--db", os.path.join(tmp, "sweeps.db"), "--listen", "127.0.0.1:0",
         "--port-file", os.path.join(tmp, "port"), "--http", "127.0.0.1:0",
         "--http-port-file", os.path.join(tmp, "http_port")],
        stdout=log("coordinator"), stderr=subprocess.STDOUT, start_new_session=True)
    procs.append(coordinator)
    port = wait_file(os.path.join(tmp, "port"), "gRPC port", procs)
    http_port = wait_file(os.path.join(tmp, "http_port"), "HTTP port", procs)
    address = f"127.0.0.1:{port}"
    env = dict(os.environ, LTSWEEP_FAKE_EPOCH_MS=str(EPOCH_MS))
    procs.append(subprocess.Popen(
        [args.ltsweep, "worker", "--coordinator", address, "--trainer", args.fake_trainer, "--cpu-slots", "1",
         "--threads", "1", "--work-dir", os.path.join(tmp, "work")],
        stdout=log("worker"), stderr=subprocess.STDOUT, env=env, start_new_session=True))
    spec = os.path.join(tmp, "spec.yaml")
    with open(spec, "w") as f:
        f.write(f"name: browser <img src=x onerror=window.__pwned=1> & live\nconfig:\n  data: {{dataset: synthetic}}\n"
                f"  train: {{epochs: {EPOCHS}}}\nseeds: [0, 1]\nparameters:\n  train.lr: {{values: [0.1, 0.05]}}\n")
    submit = subprocess.run([args.ltsweep, "submit", spec, "--coordinator", address], capture_output=True, text=True,
                            timeout=30)
    if submit.returncode != 0:
        raise Failure("ltsweep submit failed: " + submit.stdout + submit.stderr)
    return procs, http_port


def start_chromium(tmp):
    proc = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-extensions", "--remote-debugging-port=0",
                             "--user-data-dir=" + os.path.join(tmp, "chromium"), "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stderr.readline()
        m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
        if m:
            port = int(m.group(1))
            for _ in range(50):
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    return proc, pages[0]["webSocketDebuggerUrl"]
                time.sleep(0.1)
        if not line and proc.poll() is not None:
            break
    raise Failure("chromium did not open its DevTools port")


def stop(proc):
    if proc and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def check_sweep_page(page, base):
    page.call("Page.enable")
    page.call("Page.navigate", url=base + "/sweeps/1")
    page.wait(f"document.querySelectorAll('#trials-body tr[data-trial]').length === {TRIALS}", "the trial rows")
    title = page.wait("document.getElementById('title').textContent.includes("
                      "'browser <img src=x onerror=window.__pwned=1> & live') && "
                      "document.getElementById('title').textContent", "the sweep's name, as text")
    print("title:", title)
    if page.eval("document.querySelectorAll('#title *, main img').length") != 0:
        raise Failure("the sweep name became markup")
    page.eval("window.__ltsweepMarker = 'no reload'; true")
    succeeded = "document.querySelectorAll('#trials-body tr[data-state=succeeded]').length"
    before = page.eval(succeeded)
    if before >= TRIALS:
        raise Failure(f"the sweep finished before it could be watched ({before} succeeded)")
    print("succeeded rows when first seen:", before)
    later = page.wait(f"({succeeded}) > {before} && ({succeeded})", "a trial to finish on the page", timeout=40)
    if page.eval("window.__ltsweepMarker") != "no reload":
        raise Failure("the page was reloaded")
    print("succeeded rows later, same page:", later)
    page.wait("document.querySelectorAll('#curves svg path').length > 0", "a learning curve's SVG")
    page.wait("document.querySelectorAll('#results table.results tbody tr').length > 0", "the results table's rows")
    page.wait("document.querySelectorAll('#parallel svg path').length > 0", "the parallel-coordinates plot")
    page.wait(f"({succeeded}) === {TRIALS}", "every trial to finish on the page", timeout=60)
    if page.eval("window.__ltsweepMarker") != "no reload":
        raise Failure("the page was reloaded")
    if page.eval("window.__pwned === undefined") is not True:
        raise Failure("the hostile sweep name ran script")
    # The summary and the table are polled apart: wait for each to catch up.
    for want in ("Progress", f"{TRIALS} of {TRIALS} trials finished", "(done)", "Best trial", "train.lr=0.05"):
        page.wait(f"document.body.innerText.includes({json.dumps(want)})", f"the page to show {want!r}", timeout=10)
    if page.eval("window.__ltsweepMarker") != "no reload":
        raise Failure("the page was reloaded")


def screenshot(page, path):
    """Saves what the page looks like (--screenshots DIR), for a person to look at."""
    if not path:
        return
    data = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
    with open(path, "wb") as f:
        f.write(base64.b64decode(data))


def check_trial_page(page, base):
    page.call("Page.navigate", url=base + "/trials/1")
    page.wait("document.querySelectorAll('#curves svg path').length > 0", "the trial's curves")
    page.wait("document.querySelectorAll('#config table.config tr.changed').length > 0", "the changed config keys")
    page.wait("document.querySelectorAll('#attempts table.attempts tbody tr').length === 1", "the attempt row")
    for want in ("Trial 1 (succeeded)", "train.epochs", "Logs", "stderr.log"):
        page.wait(f"document.body.innerText.includes({json.dumps(want)})", f"the trial page to show {want!r}",
                  timeout=10)


def check_sweeps_list(page, base):
    page.call("Page.navigate", url=base + "/")
    page.wait("document.querySelectorAll('#sweeps-body tr[data-sweep]').length === 1", "the sweeps list's row")
    page.wait("document.querySelector('#sweeps-body tr').innerText.includes('onerror=window.__pwned=1')",
              "the sweep's name, as text")
    if page.eval("document.querySelectorAll('#sweeps-body img').length === 0 && window.__pwned === undefined") is not True:
        raise Failure("the hostile sweep name became markup in the sweeps list")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ltsweep", required=True)
    parser.add_argument("--fake-trainer", required=True)
    parser.add_argument("--screenshots", help="save a PNG of each page in this folder")
    args = parser.parse_args()
    if not os.access(CHROMIUM, os.X_OK):
        print(f"SKIPPED: no Chromium at {CHROMIUM} (Debian package chromium; LTSWEEP_CHROMIUM names another)")
        return 77
    tmp = tempfile.mkdtemp(prefix="ltsweep-browser-")
    procs, logs, chromium = [], {}, None
    try:
        procs, http_port = start_sweep(args, tmp, logs)
        chromium, ws_url = start_chromium(tmp)
        page = Page(ws_url)
        base = f"http://127.0.0.1:{http_port}"
        shots = args.screenshots
        if shots:
            os.makedirs(shots, exist_ok=True)
            page.call("Emulation.setDeviceMetricsOverride", width=1300, height=900, deviceScaleFactor=1, mobile=False)
        check_sweep_page(page, base)
        screenshot(page, shots and os.path.join(shots, "sweep.png"))
        check_trial_page(page, base)
        screenshot(page, shots and os.path.join(shots, "trial.png"))
        check_sweeps_list(page, base)
        print("PASSED: rows, curves, results and a live update without reload")
        return 0
    except Failure as e:
        print("FAILED:", e, file=sys.stderr)
        for name, f in logs.items():
            f.seek(0)
            print(f"--- {name} log (tail) ---\n" + f.read()[-3000:], file=sys.stderr)
        return 1
    finally:
        stop(chromium)
        for p in reversed(procs):
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
