#!/usr/bin/env python3
"""webhook_receiver.py DIR — a webhook endpoint for the end-to-end tests.

Listens on a free loopback port (written to DIR/port), appends every POST as
one JSON line {"path","headers","body"} to DIR/received.jsonl, and answers
with the status in DIR/status (default 200), so a test can make it fail.
"""
import http.server
import json
import os
import sys

DIR = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
        try:
            with open(os.path.join(DIR, "status")) as f:
                status = int(f.read().strip() or "200")
        except FileNotFoundError:
            status = 200
        if status == 200:
            rec = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
            with open(os.path.join(DIR, "received.jsonl"), "a") as f:
                f.write(json.dumps(rec) + "\n")
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()
