#!/usr/bin/env python3
"""stallproxy.py PORTFILE UPSTREAM_HOST UPSTREAM_PORT STALL_AT

A TCP relay in front of a real LDAP server that simulates a network which
stops in the middle of an answer.  Client to server bytes pass through
untouched.  Server to client bytes pass through message by message (each
LDAPMessage is a BER SEQUENCE: tag 0x30, then a short or long form
length) until message number STALL_AT (2 or more; 1 = the first, the bind
response); of that one only the first half is sent, in one write with
the whole message before it (so that a client reads both at once and
holds the half in its buffer), then nothing more, while the connection
stays open.  Every connection is treated the same.

The port it listens on (a free loopback port) is written to PORTFILE once
it accepts connections.  It runs until killed.
"""
import os
import socket
import sys
import threading


def ber_length(buf):
    """Total length of the BER element at the start of buf, or None when
    buf does not hold its header yet."""
    if len(buf) < 2:
        return None
    first = buf[1]
    if first < 0x80:
        return 2 + first
    n = first & 0x7F
    if n == 0 or n > 4:
        raise ValueError("unsupported BER length form")
    if len(buf) < 2 + n:
        return None
    return 2 + n + int.from_bytes(buf[2:2 + n], "big")


def client_to_server(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass


def server_to_client(src, dst, stall_at):
    buf = b""
    seen = 0
    held = b""   # message stall_at - 1, sent together with the half
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            buf += data
            while True:
                total = ber_length(buf)
                if total is None or len(buf) < total:
                    break
                seen += 1
                if seen == stall_at - 1:
                    held = buf[:total]
                elif seen == stall_at:
                    dst.sendall(held + buf[:total // 2])
                    threading.Event().wait()   # stalled: hold the connection open
                else:
                    dst.sendall(buf[:total])
                buf = buf[total:]
    except OSError:
        pass


def main():
    portfile, host, port, stall_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    while True:
        client, _ = ls.accept()
        upstream = socket.create_connection((host, port))
        threading.Thread(target=client_to_server, args=(client, upstream), daemon=True).start()
        threading.Thread(target=server_to_client, args=(upstream, client, stall_at), daemon=True).start()


if __name__ == "__main__":
    main()
