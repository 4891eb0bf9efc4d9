#!/usr/bin/env python3
"""scim_target.py DIR — a SCIM 2.0 service provider for the end-to-end tests.

A small but real application endpoint (RFC 7644 over HTTP on a loopback
port): /scim/v2/Users and /scim/v2/Groups with `filter=<attr> eq "<value>"`,
paging (startIndex, count, totalResults), GET by id, and PATCH with a PatchOp
(add members, remove members[value eq "<id>"], replace active).  Requests
must carry `Authorization: Bearer <DIR/token>`; errors are SCIM error
objects.  Its state is DIR/state.json (seeded from DIR/seed.json), written
after every change so a test can read it; DIR/delay (seconds) slows every
answer, for timeout tests.  The port is written to DIR/port.
"""
import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.parse

DIR = sys.argv[1]
LOCK = threading.Lock()
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

with open(os.path.join(DIR, "seed.json")) as f:
    STATE = json.load(f)


def save():
    tmp = os.path.join(DIR, "state.json.tmp")
    with open(tmp, "w") as f:
        json.dump(STATE, f, indent=1, sort_keys=True)
    os.rename(tmp, os.path.join(DIR, "state.json"))


def token():
    with open(os.path.join(DIR, "token")) as f:
        return f.read().strip()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, obj=None):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/scim+json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, detail):
        self.reply(status, {"schemas": [ERROR], "status": str(status), "detail": detail})

    def start(self):
        try:
            with open(os.path.join(DIR, "delay")) as f:
                time.sleep(float(f.read().strip() or "0"))
        except FileNotFoundError:
            pass
        if self.headers.get("authorization") != "Bearer " + token():
            self.error(401, "authentication required")
            return None
        url = urllib.parse.urlsplit(self.path)
        m = re.fullmatch(r"/scim/v2/(Users|Groups)(?:/([^/]+))?", url.path)
        if not m:
            self.error(404, "no such endpoint")
            return None
        kind, rid = m.group(1), m.group(2)
        return kind, urllib.parse.unquote(rid) if rid else None, urllib.parse.parse_qs(url.query)

    def do_GET(self):
        r = self.start()
        if not r:
            return
        kind, rid, q = r
        with LOCK:
            items = STATE[kind]
            if rid:
                if rid not in items:
                    return self.error(404, f"{kind[:-1]} {rid} not found")
                return self.reply(200, items[rid])
            res = list(items.values())
            if "filter" in q:
                fm = re.fullmatch(r'(\w+) eq (".*")', q["filter"][0])
                if not fm:
                    return self.error(400, "unsupported filter")
                attr, value = fm.group(1), json.loads(fm.group(2))
                res = [x for x in res if x.get(attr) == value]
            start = int(q.get("startIndex", ["1"])[0])
            count = int(q.get("count", ["100"])[0])
            page = res[start - 1:start - 1 + count]
            self.reply(200, {"schemas": [LIST], "totalResults": len(res), "startIndex": start,
                             "itemsPerPage": len(page), "Resources": page})

    def do_PATCH(self):
        r = self.start()
        if not r:
            return
        kind, rid, _ = r
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))) or b"{}")
        with LOCK:
            item = STATE[kind].get(rid)
            if item is None:
                return self.error(404, f"{kind[:-1]} {rid} not found")
            if body.get("schemas") != [PATCH]:
                return self.error(400, "not a PatchOp")
            for op in body.get("Operations", []):
                path = op.get("path", "")
                if kind == "Users" and op["op"] == "replace" and path == "active":
                    item["active"] = bool(op["value"])
                elif kind == "Groups" and op["op"] == "add" and path == "members":
                    have = {m["value"] for m in item["members"]}
                    for v in op["value"]:
                        if v["value"] not in STATE["Users"]:
                            return self.error(400, f"no user {v['value']}")
                        if v["value"] not in have:
                            item["members"].append({"value": v["value"]})
                elif kind == "Groups" and op["op"] == "remove":
                    mm = re.fullmatch(r'members\[value eq (".*")\]', path)
                    if not mm:
                        return self.error(400, "unsupported path")
                    gone = json.loads(mm.group(1))
                    item["members"] = [m for m in item["members"] if m["value"] != gone]
                else:
                    return self.error(400, f"unsupported operation {op}")
            save()
            self.reply(200, item)

    def log_message(self, *args):
        pass


save()
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()
