#!/usr/bin/env python3
"""mcp_client.py — a raw JSON-RPC driver for `warrant mcp` (stdio) in tests.

Usage: mcp_client.py [--timeout S] -- COMMAND [ARGS...] < SCRIPT

Starts COMMAND and plays SCRIPT, one item per line:
  a JSON-RPC message      sent as one line; the driver waits for one
                          response line unless the message is a
                          notification or a response (an object without
                          "id", or without "method")
  #init [VERSION]         initialize (default 2025-11-25) + the initialized
                          notification; prints the initialize response
  #noreply TEXT           send TEXT as a line without waiting
  #expect TEXT            send TEXT as a line and wait for one response
  #huge N                 send a ping request padded to N bytes (id "huge")
  #partial TEXT           send TEXT without a newline, then close stdin
Every response line is printed as received; at the end stdin is closed,
any further output is printed, and a last line {"_exit": CODE} gives the
server's exit status ({"_timeout": true} if a response did not come).
Python standard library only.
"""
import json
import selectors
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    timeout = 20.0
    if args[:1] == ["--timeout"]:
        timeout = float(args[1])
        args = args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sys.stderr)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    pending = b""

    def read_line(limit):
        nonlocal pending
        deadline = time.monotonic() + limit
        while b"\n" not in pending:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                return None
            chunk = proc.stdout.read1(1 << 16)
            if not chunk:
                return None
            pending += chunk
        line, pending = pending.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def send(data, newline=True):
        proc.stdin.write(data + (b"\n" if newline else b""))
        proc.stdin.flush()

    def expect():
        line = read_line(timeout)
        if line is None:
            print(json.dumps({"_timeout": True}), flush=True)
            proc.kill()
            sys.exit(1)
        print(line, flush=True)

    closed = False
    for raw in sys.stdin.read().splitlines():
        if not raw.strip():
            continue
        if raw.startswith("#init"):
            version = raw.split()[1] if len(raw.split()) > 1 else "2025-11-25"
            send(json.dumps({"jsonrpc": "2.0", "id": "init", "method": "initialize",
                             "params": {"protocolVersion": version, "capabilities": {},
                                        "clientInfo": {"name": "mcp_client.py", "version": "1"}}}).encode())
            expect()
            send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
        elif raw.startswith("#noreply "):
            send(raw[len("#noreply "):].encode())
        elif raw.startswith("#expect "):
            send(raw[len("#expect "):].encode())
            expect()
        elif raw.startswith("#huge "):
            n = int(raw.split()[1])
            head = b'{"jsonrpc":"2.0","id":"huge","method":"ping","params":{"pad":"'
            tail = b'"}}'
            send(head + b"x" * max(0, n - len(head) - len(tail)) + tail)
            expect()
        elif raw.startswith("#partial "):
            send(raw[len("#partial "):].encode(), newline=False)
            proc.stdin.close()
            closed = True
            break
        else:
            send(raw.encode())
            try:
                msg = json.loads(raw)
                wait = not (isinstance(msg, dict) and ("id" not in msg or "method" not in msg)
                            and ("method" in msg or "result" in msg or "error" in msg))
            except ValueError:
                wait = True
            if wait:
                expect()
    if not closed:
        proc.stdin.close()
    while True:
        line = read_line(timeout)
        if line is None:
            break
        print(line, flush=True)
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        print(json.dumps({"_timeout": True}), flush=True)
        sys.exit(1)
    print(json.dumps({"_exit": rc}), flush=True)


if __name__ == "__main__":
    main()
