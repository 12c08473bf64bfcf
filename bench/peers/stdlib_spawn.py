"""The floor without subprocess: the same detached child as stdlib_detached.py, started with
os.posix_spawn (own session, stdout and stderr on devnull, the payload on a stdin pipe).

Not a peer: bench/onehit.py counts its parent's instructions beside the floor's, to show what
importing subprocess costs the floor itself.
"""

import os
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
read, write = os.pipe()
os.posix_spawn(
    sys.executable,
    [sys.executable, "-c", CHILD],
    os.environ,
    file_actions=[
        (os.POSIX_SPAWN_DUP2, read, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ],
    setsid=True,
)
os.close(read)
os.write(write, url.encode() + b"\n" + body)
os.close(write)
