#!/usr/bin/env python3
"""Times one fill: every line of LIST requested once through wrk and requests.lua.

    fill.py URL LIST [connections]    prints "<seconds> <responses> <not 200>"

wrk always runs for its whole duration, so the time is taken here, between the script's "ready" (its list
is loaded; connections open next) and "filled" lines on wrk's stderr; then wrk is stopped.
"""
import os
import subprocess
import sys
import time

url, listing = sys.argv[1], sys.argv[2]
connections = sys.argv[3] if len(sys.argv) > 3 else "64"
script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "requests.lua")
wrk = subprocess.Popen(
    ["wrk", "-t1", f"-c{connections}", "-d600s", "--timeout", "30s", "-s", script, url, "--", listing, "fill"],
    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
start = None
try:
    for line in wrk.stderr:
        if line.startswith("ready"):
            start = time.monotonic()
        elif line.startswith("filled") and start is not None:
            _, responses, failed = line.split()
            print(f"{time.monotonic() - start:.2f} {responses} {failed}")
            break
    else:
        sys.exit("wrk ended before every page was filled")
finally:
    wrk.kill()
    wrk.wait()
