"""A real headless Chromium (Debian's `chromium`) driven over the DevTools
protocol (python3-websocket), for the browser tests (test_browser.py).

Browser(user, password) starts Chromium with its own profile, answers HTTP
Basic challenges with the given credentials (Fetch.authRequired, as a
person typing into the password dialog would) and records every document
response of the page, so a test can ask where the browser ended, with which
status, and what a person reads there.
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class BrowserError(Exception):
    pass


class Browser:
    def __init__(self, user=None, password=None, timeout=20):
        self.user, self.password, self.timeout = user, password, timeout
        self.profile = tempfile.mkdtemp(prefix="accountd-chromium-")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--mute-audio",
             "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
             f"--user-data-dir={self.profile}", "--window-size=1000,800", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.documents = []   # (url, status, mime) of each main-frame document response
        self.redirects = []   # (url, status, location) of each redirect on the way
        self.requests = []    # (method, url) of every request the page made
        self.ws = None
        try:
            self._connect()
        except Exception:
            self.close()
            raise

    # ------------------------------------------------------------ plumbing

    def _connect(self):
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + self.timeout
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if self.proc.poll() is not None:
                raise BrowserError(f"chromium exited with status {self.proc.returncode}")
            if time.monotonic() > deadline:
                raise BrowserError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
            targets = json.load(r)
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=self.timeout,
                                              suppress_origin=True)
        self.call("Page.enable")
        self.call("Network.enable")
        self.call("Network.setCacheDisabled", cacheDisabled=True)
        self.call("Fetch.enable", handleAuthRequests=True, patterns=[{"urlPattern": "*"}])
        self.main_frame = self.call("Page.getFrameTree")["frameTree"]["frame"]["id"]

    def _event(self, msg):
        method, p = msg.get("method"), msg.get("params", {})
        if method == "Fetch.requestPaused":
            self._send("Fetch.continueRequest", requestId=p["requestId"])
        elif method == "Fetch.authRequired":
            if self.user is not None:
                answer = {"response": "ProvideCredentials", "username": self.user,
                          "password": self.password}
            else:
                answer = {"response": "CancelAuth"}
            self._send("Fetch.continueWithAuth", requestId=p["requestId"],
                       authChallengeResponse=answer)
        elif method == "Network.requestWillBeSent":
            req = p.get("request", {})
            self.requests.append((req.get("method"), req.get("url")))
            red = p.get("redirectResponse")
            if red and p.get("type") == "Document" and p.get("frameId") == self.main_frame:
                headers = {k.lower(): v for k, v in red.get("headers", {}).items()}
                self.redirects.append((red.get("url"), red.get("status"), headers.get("location")))
        elif method == "Network.responseReceived":
            if p.get("type") == "Document" and p.get("frameId") == self.main_frame:
                resp = p["response"]
                self.documents.append((resp.get("url"), resp.get("status"), resp.get("mimeType")))

    def _send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        return self.next_id

    def call(self, method, **params):
        """Sends a command and returns its result, handling events meanwhile."""
        want = self._send(method, **params)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == want:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self._event(msg)
        raise BrowserError(f"{method}: no answer within {self.timeout} s")

    def eval(self, expression, await_promise=False):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=await_promise)
        if "exceptionDetails" in r:
            raise BrowserError(f"{expression[:80]}: {r['exceptionDetails']}")
        return r.get("result", {}).get("value")

    def _wait(self, predicate, what):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                if predicate():
                    return
            except BrowserError as e:
                self.last_error = e  # the page is between two documents
            time.sleep(0.05)
        state = self.eval("[document.readyState, window.__old_page]")
        raise BrowserError(f"timed out waiting for {what}; at {self.url()!r} ({state}), "
                           f"documents {self.documents}, last error {getattr(self, 'last_error', None)}")

    # ------------------------------------------------------------ what a test uses

    def sign_in(self, url):
        """Opens url, answers the HTTP Basic challenge with the person's
        name and password, and stops intercepting: from then on the browser
        sends the cached credentials to that origin by itself."""
        self.goto(url)
        self.call("Fetch.disable")

    def goto(self, url):
        """Navigates and waits until the new document has loaded."""
        before = len(self.documents)
        self.call("Page.navigate", url=url)
        self._wait(lambda: self.eval("document.readyState") == "complete" and
                   len(self.documents) > before, f"the load of {url}")

    def submit(self, form_selector="form"):
        """Clicks the form's submit button as a person would and waits until
        the browser shows the page it ends on."""
        self.eval("window.__old_page = true")
        before = len(self.documents)
        self.eval(f"document.querySelector({json.dumps(form_selector)})"
                  ".querySelector('[type=submit]').click()")
        # The eval comes first: events (the new document) are read only
        # while a command waits for its answer.
        self._wait(lambda: self.eval("window.__old_page === undefined && document.readyState")
                   == "complete" and len(self.documents) > before,
                   f"the page after submitting {form_selector}")

    def fill(self, selector, value):
        self.eval(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}")

    def check(self, selector, on=True):
        self.eval(f"document.querySelector({json.dumps(selector)}).checked = {json.dumps(on)}")

    def url(self):
        try:
            return self.eval("location.href")
        except BrowserError:
            return None

    def text(self):
        """What a person reads on the page."""
        return self.eval("document.body ? document.body.innerText : ''")

    def value(self, selector):
        return self.eval(f"document.querySelector({json.dumps(selector)}).value")

    def status(self):
        """The status of the document the browser shows."""
        return self.documents[-1][1] if self.documents else None

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self):
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:
                pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
