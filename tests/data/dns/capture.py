#!/usr/bin/env python3
"""A tiny DNS capture proxy: listens on 127.0.0.1:LISTEN (UDP and TCP),
forwards each message to 127.0.0.1:UPSTREAM over the same transport, and
saves the raw request and response as OUTDIR/NNN-{udp,tcp}-{req,resp}.bin.
Used once to record the messages in this directory (see README)."""
import os
import socket
import struct
import sys
import threading

listen, upstream, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
seq = [0]
lock = threading.Lock()


def save(proto, req, resp):
    with lock:
        seq[0] += 1
        n = seq[0]
    for kind, data in (("req", req), ("resp", resp)):
        with open(os.path.join(outdir, "%03d-%s-%s.bin" % (n, proto, kind)), "wb") as f:
            f.write(data)


def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", listen))
    while True:
        req, addr = s.recvfrom(65535)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(5)
        u.sendto(req, ("127.0.0.1", upstream))
        resp = u.recv(65535)
        save("udp", req, resp)
        s.sendto(resp, addr)


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def tcp_conn(c):
    try:
        while True:
            (n,) = struct.unpack("!H", recv_exact(c, 2))
            req = recv_exact(c, n)
            u = socket.create_connection(("127.0.0.1", upstream), timeout=5)
            u.sendall(struct.pack("!H", len(req)) + req)
            (m,) = struct.unpack("!H", recv_exact(u, 2))
            resp = recv_exact(u, m)
            u.close()
            save("tcp", req, resp)
            c.sendall(struct.pack("!H", len(resp)) + resp)
    except EOFError:
        pass
    c.close()


def tcp():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", listen))
    s.listen(8)
    while True:
        c, _ = s.accept()
        threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()


threading.Thread(target=udp, daemon=True).start()
tcp()
