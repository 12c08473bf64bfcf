"""Floor: the parent hands one hit to a detached stdlib child and exits at once.

The child has its own session, std streams on devnull and gets the payload through a stdin
pipe (never argv); it posts with a 3 s socket timeout and swallows every error.
"""

import os
import subprocess
import sys

CHILD = """import sys, urllib.request
url, _, body = sys.stdin.buffer.read().partition(b"\\n")
try:
    req = urllib.request.Request(url.decode(), body, {"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=3).close()
except Exception:
    pass
"""

url = os.environ["BENCH_ENDPOINT"] + "/mp/collect"
body = b'{"client_id": "bench", "events": [{"name": "bench_event"}]}'
dn = subprocess.DEVNULL
child = subprocess.Popen(
    [sys.executable, "-c", CHILD],
    stdin=subprocess.PIPE,
    stdout=dn,
    stderr=dn,
    start_new_session=True,
    close_fds=True,
)
child.stdin.write(url.encode() + b"\n" + body)  # type: ignore[union-attr]
child.stdin.close()  # type: ignore[union-attr]
