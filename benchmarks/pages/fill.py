#!/usr/bin/env python3
"""Times one fill: every line of LIST requested once through wrk and requests.lua.

    fill.py URL LIST [connections] [timeout seconds]    prints "<seconds> <responses> <not 200>"

wrk always runs for its whole duration, so the time is taken here, between the script's "ready" (its list
is loaded; connections open next) and "filled" lines on wrk's stderr; then wrk is stopped. Requests that
fail at the socket (no response at all) never count, so a run that cannot finish fails at the timeout.
"""
import os
import subprocess
import sys
import threading
import time

url, listing = sys.argv[1], sys.argv[2]
connections = sys.argv[3] if len(sys.argv) > 3 else "64"
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 300
script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "requests.lua")
wrk = subprocess.Popen(
    ["wrk", "-t1", f"-c{connections}", "-d600s", "--timeout", "30s", "-s", script, url, "--", listing, "fill"],
    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
start = None
timer = threading.Timer(timeout, wrk.kill)
timer.start()
try:
    for line in wrk.stderr:
        if line.startswith("ready"):
            start = time.monotonic()
        elif line.startswith("filled") and start is not None:
            _, responses, failed = line.split()
            print(f"{time.monotonic() - start:.2f} {responses} {failed}")
            break
    else:
        sys.exit(f"fill did not complete within {timeout:.0f} s (socket errors or a stalled server)")
finally:
    timer.cancel()
    wrk.kill()
    wrk.wait()
