#!/usr/bin/env python3
"""soak.py — a fixed-rate soak of one HTTP endpoint over one keep-alive
connection per worker: sends RATE requests/s for SECONDS, counts every
non-200 answer and transport error, records latencies, and samples the
server's resident memory (VmRSS of PID) every 5 s.  Prints one JSON line.

usage: soak.py URL BODY TOKEN RATE SECONDS PID
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

url, body, token, rate, seconds, pid = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), \
    float(sys.argv[5]), int(sys.argv[6])
u = urllib.parse.urlparse(url)
headers = {"Content-Type": "application/json"}
if token:
    headers["Authorization"] = "Bearer " + token
WORKERS = 4
lock = threading.Lock()
stats = {"sent": 0, "errors": 0, "non200": 0, "lat": []}
rss = []
stop = time.monotonic() + seconds


def rss_kib():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def worker(k):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    interval = WORKERS / rate
    nxt = time.monotonic() + k * interval / WORKERS
    while True:
        now = time.monotonic()
        if now >= stop:
            break
        if nxt > now:
            time.sleep(nxt - now)
        nxt += interval
        t0 = time.monotonic()
        try:
            conn.request("POST", u.path, body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            ok = r.status == 200
            err = 0
        except Exception:
            ok, err = False, 1
            conn.close()
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        dt = time.monotonic() - t0
        with lock:
            stats["sent"] += 1
            stats["errors"] += err
            stats["non200"] += 0 if ok or err else 1
            stats["lat"].append(dt)


threads = [threading.Thread(target=worker, args=(k,)) for k in range(WORKERS)]
for t in threads:
    t.start()
while time.monotonic() < stop:
    rss.append(rss_kib())
    time.sleep(5)
for t in threads:
    t.join()
rss.append(rss_kib())
lat = sorted(stats["lat"])
p = lambda q: round(1000 * lat[min(len(lat) - 1, int(q * len(lat)))], 3) if lat else None
# memory is "flat" when the second half of the run grew less than 5 % over its start
half = rss[len(rss) // 2:]
growth = (half[-1] - half[0]) / half[0] if half and half[0] else 0
print(json.dumps({"seconds": seconds, "rate_target": rate, "requests": stats["sent"],
                  "rate_achieved": round(stats["sent"] / seconds, 1), "errors": stats["errors"],
                  "non200": stats["non200"], "p50_ms": p(0.5), "p99_ms": p(0.99),
                  "rss_kib_first": rss[0], "rss_kib_max": max(rss), "rss_kib_last": rss[-1],
                  "rss_growth_second_half": round(growth, 4)}))
sys.exit(0 if stats["errors"] == 0 and stats["non200"] == 0 and growth < 0.05 else 1)
