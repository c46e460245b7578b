"""The web console of `convey serve` in a real browser (headless Chromium).

Starts `convey serve` with the example process, creates tasks through the
signed task API, and opens the console's pages with an Authorization header
(no secret in a URL). Checks, in the DOM the pages' scripts built:

- the process page's per-node counts equal the engine's, read from
  /metrics (independent of the console's code), and its nodes table too;
- counts refresh without a reload: tasks created after the page opened
  show up in the same page (a marker set on `window` survives);
- clicking a node lists its tasks, 20 a page, and "Next page" shows the
  rest: together exactly the tasks the engine has there;
- a task page shows its data and one history row per entry of the task's
  history, as the ops protocol's `history` op gives it;
- a hostile process title, ref and task data (script tags, handlers) show
  as text and run nothing;
- a read-only login gets no write button and its write is refused (403);
  the writing login pauses and resumes the process from the page.

Saves screenshots into $TEST_UNDECLARED_OUTPUTS_DIR (console_*.png).

    console_browser_test.py CONVEY_BINARY SCHEME_FILE
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from devtools import Browser

WRITER, WRITER_SECRET = "4521", "qjVXiaXFazSCtIvMTjW29cZbPkzeYUzCzGmmrcJtIIj2eqceUm"
VIEWER, VIEWER_SECRET = "viewer", "Hn3QpL9vWc2xRt7YbK5sMd8fGj4aZe6u"
CONV = 1001
MANUAL_REVIEW = "6808a919513aa065de250005"  # a wait node: big orders stay there an hour
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'

failures = []


def check(condition, message):
    print(("ok: " if condition else "FAIL: ") + message, flush=True)
    if not condition:
        failures.append(message)


class Server:
    def __init__(self, convey, scheme, work):
        self.out = open(os.path.join(work, "serve.out"), "w+")
        self.err = open(os.path.join(work, "serve.err"), "w+")
        self.process = subprocess.Popen(
            [convey, "serve", scheme, "--listen", "127.0.0.1:0",
             "--api-key", f"{WRITER}:{WRITER_SECRET}", "--api-key", f"{VIEWER}:{VIEWER_SECRET}",
             "--console-writer", WRITER], stdout=self.out, stderr=self.err)
        deadline = time.time() + 20
        self.base = None
        while self.base is None:
            self.out.seek(0)
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", self.out.read())
            if found:
                self.base = found.group(1)
            elif time.time() > deadline or self.process.poll() is not None:
                self.err.seek(0)
                raise RuntimeError("convey serve did not start: " + self.err.read())
            else:
                time.sleep(0.05)

    def ops(self, *ops):
        """A request signed in the URL (seed 000's way); the reply's ops."""
        body = json.dumps({"ops": list(ops)}).encode()
        t = str(int(time.time()))
        sig = hashlib.sha1(t.encode() + WRITER_SECRET.encode() + body +
                           WRITER_SECRET.encode()).hexdigest()
        request = urllib.request.Request(f"{self.base}/api/2/json/{WRITER}/{t}/{sig}", body)
        with urllib.request.urlopen(request, timeout=20) as answer:
            reply = json.load(answer)
        for op in reply["ops"]:
            if op["proc"] != "ok":
                raise RuntimeError(f"op failed: {op}")
        return reply["ops"]

    def get(self, path, login=WRITER, secret=WRITER_SECRET):
        request = urllib.request.Request(self.base + path,
                                         headers={"Authorization": basic(login, secret)})
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.read().decode()

    def engine_counts(self):
        """Each node's count as the console defines it, from /metrics: tasks
        in the node, or for a final node the tasks that ended there."""
        with urllib.request.urlopen(self.base + "/metrics", timeout=20) as answer:
            text = answer.read().decode()
        counts, finals = {}, {}
        for name, conv, node, value in re.findall(
                r'^(convey_node_tasks|convey_final_node_tasks_total)\{conv_id="(\d+)",'
                r'node_id="([^"]+)"[^}]*\} (\d+)$', text, re.M):
            if int(conv) != CONV:
                continue
            (finals if name == "convey_final_node_tasks_total" else counts)[node] = int(value)
        counts.update(finals)
        return counts

    def settle(self):
        """Waits until no task is queued or moving."""
        deadline = time.time() + 20
        while json.loads(self.get("/console/api/processes"))["engine"]["tasks_queued"] != 0:
            if time.time() > deadline:
                raise RuntimeError("tasks did not settle")
            time.sleep(0.05)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def basic(login, secret):
    return "Basic " + base64.b64encode(f"{login}:{secret}".encode()).decode()


def orders(prefix, big=0, small=0, bad=0):
    tasks = []
    for i in range(big):
        tasks.append((f"{prefix}-big-{i}", {"customer": f"big {i}", "price": 250, "qty": 6}))
    for i in range(small):
        tasks.append((f"{prefix}-small-{i}", {"customer": f"small {i}", "price": 12.5, "qty": 4}))
    for i in range(bad):
        tasks.append((f"{prefix}-bad-{i}", {"customer": f"bad {i}", "price": "call us", "qty": 1}))
    return [{"type": "create", "obj": "task", "conv_id": CONV, "ref": ref, "data": data}
            for ref, data in tasks]


def dom_counts(browser):
    return browser.evaluate("""Object.fromEntries([...document.querySelectorAll(
        '#picture text.count')].map((t) => [t.getAttribute('data-node-id'), Number(t.textContent)]))""")


def main():
    convey, scheme = sys.argv[1], sys.argv[2]
    started = time.time()
    outputs = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR") or tempfile.mkdtemp()
    work = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    server = Server(convey, scheme, work)
    browser = None
    try:
        # A hostile process: its title is markup; committed, so it runs and is drawn.
        created = server.ops({"type": "create", "obj": "conv", "title": HOSTILE,
                              "conv_type": "process", "status": "active"})
        hostile_conv = created[0]["obj_id"]
        server.ops({"type": "confirm", "obj": "commit", "conv_id": hostile_conv, "version": 1})
        server.ops(*orders("a", big=25, small=12, bad=3))
        hostile_task = server.ops({"type": "create", "obj": "task", "conv_id": CONV,
                                   "ref": HOSTILE, "data": {"customer": HOSTILE, "price": 1,
                                                            "qty": 1, "note": HOSTILE}})[0]
        server.settle()

        browser = Browser(work)
        browser.headers({"Authorization": basic(WRITER, WRITER_SECRET)})

        # The processes page.
        browser.open(f"{server.base}/")
        browser.wait_for("document.querySelectorAll('#processes tbody tr[data-conv-id]').length >= 2",
                         what="the processes table")
        row = browser.evaluate(f"""(() => {{
            const row = document.querySelector('#processes tr[data-conv-id="{CONV}"]');
            return Object.fromEntries([...row.querySelectorAll('[data-counter]')].map(
                (td) => [td.dataset.counter, Number(td.textContent.replace(/,/g, ''))]));
        }})()""")
        summary = [p for p in json.loads(server.get("/console/api/processes"))["processes"]
                   if p["conv_id"] == CONV][0]
        check(row == {k: summary[k] for k in row} and row["created"] == 41,
              f"the processes page shows the engine's counters: {row}")
        hostile_link = browser.evaluate(
            f"document.querySelector('#processes tr[data-conv-id=\"{hostile_conv}\"] a').textContent")
        check(hostile_link == HOSTILE, "a hostile process title shows as text on the processes page")
        browser.screenshot(os.path.join(outputs, "console_processes.png"), 1400, 500)

        # The process page: the counts in the picture are the engine's.
        browser.open(f"{server.base}/console/process/{CONV}")
        browser.wait_for("Number(document.body.dataset.refreshes) >= 1 && "
                         "document.querySelectorAll('#picture text.count').length > 0",
                         what="the picture with its counts")
        engine = server.engine_counts()
        shown = dom_counts(browser)
        check(shown == engine and engine[MANUAL_REVIEW] == 25,
              f"every node's count in the picture equals the engine's: {shown} vs {engine}")
        table = browser.evaluate("""Object.fromEntries([...document.querySelectorAll(
            '#nodes td[data-count]')].map((td) => [td.dataset.count, Number(td.textContent)]))""")
        check(table == engine, "the nodes table shows the same counts")

        # Live: tasks created now show up in this page, without a reload.
        browser.evaluate("window.__same_page = 'yes'")
        refreshes = int(browser.evaluate("document.body.dataset.refreshes"))
        server.ops(*orders("b", big=6, small=5, bad=2))
        server.settle()
        engine = server.engine_counts()
        browser.wait_for(f"""(() => {{
            const t = document.querySelector('#picture text.count[data-node-id="{MANUAL_REVIEW}"]');
            return t && Number(t.textContent) === {engine[MANUAL_REVIEW]};
        }})()""", timeout=10, what="the refreshed count of Manual review")
        shown = dom_counts(browser)
        check(shown == engine, f"after more creates, the picture shows the new counts: {shown}")
        check(browser.evaluate("window.__same_page") == "yes" and
              int(browser.evaluate("document.body.dataset.refreshes")) > refreshes,
              "the counts were refreshed in place (no reload)")

        # Clicking a node lists its tasks, 20 a page.
        listings = int(browser.evaluate("Number(document.body.dataset.listings || 0)"))
        browser.evaluate(f"""document.querySelector('#picture g.node[data-node-id="{MANUAL_REVIEW}"]')
            .dispatchEvent(new MouseEvent('click', {{bubbles: true}}))""")
        browser.wait_for(f"Number(document.body.dataset.listings) > {listings}",
                         what="the task list of Manual review")
        rows = "[...document.querySelectorAll('#tasks tbody tr[data-obj-id]')].map((r) => r.dataset.objId)"
        first = browser.evaluate(rows)
        heading = browser.evaluate("document.getElementById('tasks-heading').textContent")
        check(len(first) == 20 and "Manual review" in heading,
              f"clicking Manual review lists its first 20 tasks ({len(first)}, {heading!r})")
        browser.screenshot(os.path.join(outputs, "console_process.png"), 1400, 1750)
        listings = int(browser.evaluate("document.body.dataset.listings"))
        browser.evaluate("document.getElementById('next-page').click()")
        browser.wait_for(f"Number(document.body.dataset.listings) > {listings}",
                         what="the second page")
        second = browser.evaluate(rows)
        expected = set()
        cursor = None
        while True:
            op = {"type": "list", "obj": "task", "conv_id": CONV, "node_id": MANUAL_REVIEW,
                  "limit": 1000}
            if cursor:
                op["cursor"] = cursor
            page = server.ops(op)[0]
            expected |= {t["obj_id"] for t in page["tasks"]}
            cursor = page["next_cursor"]
            if not cursor:
                break
        check(len(second) == engine[MANUAL_REVIEW] - 20 and not set(first) & set(second) and
              set(first) | set(second) == expected,
              f"the next page holds the other {len(second)}; together the engine's tasks there")
        check(browser.evaluate("document.getElementById('next-page').disabled"),
              "the last page has no next page")

        # A task page: its data and its history, row for row.
        task_id = first[0]
        browser.open(f"{server.base}/console/task/{task_id}")
        browser.wait_for("document.querySelectorAll('#history tr.cv-history').length > 0",
                         what="the task's history")
        history = server.ops({"type": "history", "obj": "task", "obj_id": task_id})[0]["history"]
        kinds = browser.evaluate(
            "[...document.querySelectorAll('#history tr.cv-history')].map((r) => r.dataset.kind)")
        check(kinds == [entry["kind"] for entry in history],
              f"the history table has one row per entry of the task's history: {kinds}")
        data = browser.evaluate("document.getElementById('data').textContent")
        check(json.loads(data) == server.ops({"type": "show", "obj": "task",
                                              "obj_id": task_id})[0]["data"],
              "the data shown is the task's data")
        browser.screenshot(os.path.join(outputs, "console_task.png"), 1400, 900)

        # Hostile ref and data: text, nothing runs.
        browser.open(f"{server.base}/console/task/{hostile_task['obj_id']}")
        browser.wait_for("Number(document.body.dataset.refreshes) >= 1", what="the hostile task")
        time.sleep(0.3)
        safe = browser.evaluate("""({pwned: window.__pwned === undefined ? null : window.__pwned,
            images: document.querySelectorAll('img').length,
            scripts: [...document.scripts].filter((s) => !s.src).length,
            title: document.getElementById('title').textContent,
            data: document.getElementById('data').textContent})""")
        check(safe["pwned"] is None and safe["images"] == 0 and safe["scripts"] == 0 and
              HOSTILE in safe["title"] and json.loads(safe["data"])["note"] == HOSTILE,
              f"a hostile ref and task data show as text and run nothing: {safe}")
        browser.open(f"{server.base}/console/process/{hostile_conv}")
        browser.wait_for("document.querySelectorAll('#picture g.node').length === 2",
                         what="the hostile process's picture")
        time.sleep(0.3)
        safe = browser.evaluate("""({pwned: window.__pwned === undefined ? null : window.__pwned,
            images: document.querySelectorAll('img, image').length,
            heading: document.querySelector('#picture text.heading').textContent})""")
        check(safe["pwned"] is None and safe["images"] == 0 and HOSTILE in safe["heading"],
              f"a hostile process title shows as text in the page and the picture: {safe}")

        # Writes: the writing login pauses and resumes from the page.
        browser.open(f"{server.base}/console/process/{CONV}")
        browser.wait_for("!!document.getElementById('pause')", what="the Pause button")
        browser.evaluate("document.getElementById('pause').click()")
        browser.wait_for("document.getElementById('state').textContent === 'paused'",
                         what="the process paused")
        check(json.loads(server.get(f"/console/api/process/{CONV}"))["paused"],
              "Pause paused the process")
        browser.evaluate("document.getElementById('pause').click()")
        browser.wait_for("document.getElementById('state').textContent === 'active'",
                         what="the process resumed")

        # A read-only login: no write button, and its write is refused.
        browser.headers({"Authorization": basic(VIEWER, VIEWER_SECRET)})
        browser.open(f"{server.base}/console/process/{CONV}")
        browser.wait_for("Number(document.body.dataset.refreshes) >= 1 && "
                         "document.getElementById('who').textContent.includes('read-only')",
                         what="the read-only page")
        check(not browser.evaluate("!!document.getElementById('pause')"),
              "a read-only login has no Pause button")
        status = browser.evaluate(f"""fetch('/console/api/process/{CONV}/pause', {{method: 'POST',
            headers: {{'X-Convey-Console': '1'}}}}).then((r) => r.status)""")
        check(status == 403, f"a read-only login's write is refused ({status})")
    finally:
        if browser:
            browser.close()
        server.stop()
    print(f"{'FAILED' if failures else 'passed'} in {time.time() - started:.1f} s; "
          f"screenshots in {outputs}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
