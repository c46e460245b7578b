"""Headless Chromium driven over the DevTools protocol, with the standard
library only (a minimal WebSocket client): what the web console's browser
test (console_browser_test.py) needs to open pages with an Authorization
header, run JavaScript in them, click, and take screenshots. The browser
reaches loopback only (its background services are off, names do not
resolve, other addresses go to a proxy that is not there).

Debian's `chromium` package; started with --remote-debugging-port=0, it
writes the port it took into DevToolsActivePort in its profile directory.
"""

import base64
import json
import os
import socket
import struct
import subprocess
import time
import urllib.parse
import urllib.request


class DevToolsError(Exception):
    pass


class _WebSocket:
    """A client WebSocket (RFC 6455) for text messages: enough for DevTools."""

    def __init__(self, url, timeout):
        parts = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while not head.endswith(b"\r\n\r\n"):  # byte by byte: no frame is read ahead
            byte = self.sock.recv(1)
            if not byte:
                raise DevToolsError("DevTools closed the connection during the handshake")
            head += byte
        if not head.startswith(b"HTTP/1.1 101"):
            raise DevToolsError(f"DevTools refused the WebSocket: {head[:200]!r}")

    def _exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise DevToolsError("DevTools closed the connection")
            data += chunk
        return data

    def _frame(self, opcode, payload):
        header = bytearray([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header.append(0x80 | 126)
            header += struct.pack(">H", n)
        else:
            header.append(0x80 | 127)
            header += struct.pack(">Q", n)
        mask = os.urandom(4)  # clients must mask
        header += mask
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes(header) + masked)

    def send(self, text):
        self._frame(0x1, text.encode())

    def receive(self):
        message = b""
        while True:
            first, second = self._exact(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            mask = self._exact(4) if second & 0x80 else None
            payload = self._exact(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = first & 0x0F
            if opcode == 0x8:
                raise DevToolsError("DevTools closed the WebSocket")
            if opcode == 0x9:
                self._frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            message += payload
            if first & 0x80:
                return message.decode()

    def close(self):
        self.sock.close()


class Browser:
    """One headless Chromium with one page; `call` sends a DevTools command."""

    def __init__(self, work_dir, width=1400, height=1000, timeout=30):
        self.profile = os.path.join(work_dir, "chromium-profile")
        os.makedirs(self.profile, exist_ok=True)
        env = dict(os.environ, HOME=work_dir)
        self.log = open(os.path.join(work_dir, "chromium.log"), "wb")
        self.process = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--disable-component-update", "--mute-audio", "--hide-scrollbars",
             "--no-pings", "--disable-domain-reliability",
             "--disable-client-side-phishing-detection", "--disable-default-apps",
             # Only this machine: no name resolves, and anything not on
             # loopback goes to a proxy that is not there.
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--proxy-server=127.0.0.1:9",
             f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
             f"--window-size={width},{height}", "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + timeout
        port = None
        while time.time() < deadline and port is None:
            if self.process.poll() is not None:
                raise DevToolsError(f"chromium exited with {self.process.returncode}; see "
                                    f"{self.log.name}")
            try:
                with open(port_file) as f:
                    port = int(f.readline().strip())
            except (OSError, ValueError):
                time.sleep(0.1)
        if port is None:
            raise DevToolsError("chromium did not open its DevTools port")
        pages = []
        while time.time() < deadline and not pages:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as answer:
                pages = [t for t in json.load(answer) if t.get("type") == "page"]
            if not pages:
                time.sleep(0.1)
        if not pages:
            raise DevToolsError("chromium has no page")
        self.ws = _WebSocket(pages[0]["webSocketDebuggerUrl"], timeout)
        self.next_id = 0
        self.events = []
        self.call("Page.enable")
        self.call("Network.enable")
        self.call("Runtime.enable")

    def call(self, method, **params):
        self.next_id += 1
        sent = self.next_id
        self.ws.send(json.dumps({"id": sent, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == sent:
                if "error" in message:
                    raise DevToolsError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def _wait_event(self, name, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i, event in enumerate(self.events):
                if event.get("method") == name:
                    del self.events[: i + 1]
                    return event
            self.events.append(json.loads(self.ws.receive()))
        raise DevToolsError(f"no {name} within {timeout} s")

    def headers(self, headers):
        """Sends `headers` with every request of the page, fetches included."""
        self.call("Network.setExtraHTTPHeaders", headers=headers)

    def open(self, url, timeout=20):
        self.events.clear()
        result = self.call("Page.navigate", url=url)
        if result.get("errorText"):
            raise DevToolsError(f"cannot open {url}: {result['errorText']}")
        self._wait_event("Page.loadEventFired", timeout)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout=15, what=None):
        """Evaluates `expression` every 100 ms until it is truthy; returns it."""
        deadline = time.time() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.time() > deadline:
                raise DevToolsError(f"timed out after {timeout} s waiting for "
                                    f"{what or expression}")
            time.sleep(0.1)

    def screenshot(self, path, width, height):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.log.close()
