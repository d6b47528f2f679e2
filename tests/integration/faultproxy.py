#!/usr/bin/env python3
"""A TLS reverse proxy in front of Pebble that injects the faults of a busy
or failing CA, for the integration tests.

It listens on a loopback port with its own certificate, forwards each
request to Pebble (a new upstream connection per request), rewrites
Pebble's address to its own in headers and bodies, and on a seeded random
draw per request answers instead:

  --rate-503 PCT       503 with a rateLimited problem and Retry-After
  --rate-429 PCT       429 with a rateLimited problem and Retry-After
  --rate-500 PCT       500 with an HTML body (a failing load balancer)
  --rate-reset PCT     close the connection with a TCP reset
  --rate-bad-nonce PCT forward, but replace Replay-Nonce with one that is
                       not base64url

--reset-stage says when a reset happens: "accept" (before the TLS
handshake, so the client knows nothing was sent) or "request" (after the
request was read, before it is forwarded). --methods POST limits the rated
faults to POSTs (default ALL). --path REGEX limits every fault to matching
paths. --retry-after VALUE is the Retry-After sent ("date:+N" sends an
HTTP-date N seconds ahead). --stall-path REGEX reads matching requests and
never answers; --delay-path REGEX with --delay S answers them S seconds
late. --close answers every request with "Connection: close", so each
request opens a connection.

Faults on what the CA said:

  --reset-after-forward-path REGEX  forward matching requests to Pebble,
                       read its answer, and when Pebble accepted the request
                       (status below 400) reset the connection: the CA
                       acted, the client never hears of it
  --token-rewrite nul|short  in every authorization, the http-01 token
                       becomes "<first 10 chars>\u0000<rest>" (nul) or its
                       first 16 characters (short)
  --order-processing   an order that Pebble says is processing or valid
                       is answered as "processing", without "certificate",
                       forever; --processing-retry-after VALUE adds a
                       Retry-After (as --retry-after) to those answers

Renewal information (RFC 9773) and profiles, which Pebble 2.4 lacks:

  --ari-window past|now|future|malformed  add "renewalInfo" to the
                       directory and answer GET /renewal-info/CERTID
                       itself: a window that ended a day ago, one that
                       began a day ago and ends now, one 30 days ahead,
                       or a window that ends before it starts;
                       --ari-retry-after N adds Retry-After: N to it
  --profiles A,B       add meta.profiles {"A": ..., "B": ...}
  --record-orders FILE append the JWS payload, decoded, of each newOrder
                       that Pebble accepted or --refuse-replaces refused,
                       as one JSON line
  --refuse-replaces    answer the first newOrder that carries "replaces"
                       with a malformed problem, as a CA that will not
                       honour it does
  --refuse-names-file FILE  when FILE exists, answer every newOrder for a
                       name it lists (one a line) with a rejectedIdentifier
                       problem, as a CA whose policy forbids the name; the
                       file is read again for every newOrder
  --deactivation refuse|ignore|stays-valid  what a request to deactivate
                       an authorization gets: an unauthorized problem, as
                       from a CA that does not let clients deactivate them
                       (refuse); {"status": "deactivated"} without being
                       forwarded, so Pebble keeps the authorization valid
                       (ignore); forwarded, with Pebble's answer changed to
                       "status": "valid" (stays-valid)

Pebble 2.4 decodes newOrder with Go's encoding/json, which ignores
members it does not know, so "profile" and "replaces" are forwarded as
they are (removing them would break the request's signature).

Every request and fault goes to --log; --counts FILE holds a JSON object
of counters (requests by method and by path kind, requests Pebble
accepted by path kind, faults by type, TLS connections accepted),
rewritten after each request. The port it listens on is written to
--port-file once it accepts connections.
"""

import argparse
import base64
import email.utils
import http.client
import json
import os
import random
import re
import socket
import ssl
import struct
import threading
import time

PATH_KINDS = [
    ("dir", re.compile(r"^/dir$")),
    ("nonce", re.compile(r"^/nonce-plz")),
    ("newAccount", re.compile(r"^/sign-me-up")),
    ("newOrder", re.compile(r"^/order-plz")),
    ("finalize", re.compile(r"^/finalize-order/")),
    ("authz", re.compile(r"^/authZ/")),
    ("challenge", re.compile(r"^/chalZ/")),
    ("order", re.compile(r"^/my-order/")),
    ("cert", re.compile(r"^/certZ/")),
    ("account", re.compile(r"^/my-account/")),
    ("revoke", re.compile(r"^/revoke-cert")),
    ("renewalInfo", re.compile(r"^/renewal-info/")),
]


def path_kind(path):
    for kind, rx in PATH_KINDS:
        if rx.search(path):
            return kind
    return "other"


class Proxy:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.lock = threading.Lock()
        self.counts = {"requests": {}, "kinds": {}, "faults": {}, "forwarded": 0,
                       "accepted": {}, "reset-after-forward": {}, "connections": {}}
        self.held = []
        self.logf = open(args.log, "a", buffering=1)
        up = args.upstream.rstrip("/")
        m = re.match(r"^https://([^/:]+):(\d+)$", up)
        if not m:
            raise SystemExit("--upstream must be https://HOST:PORT")
        self.up_host, self.up_port = m.group(1), int(m.group(2))
        self.up_ctx = ssl.create_default_context(cafile=args.upstream_ca)
        self.path_rx = re.compile(args.path) if args.path else None
        self.stall_rx = re.compile(args.stall_path) if args.stall_path else None
        self.delay_rx = re.compile(args.delay_path) if args.delay_path else None
        self.raf_rx = (re.compile(args.reset_after_forward_path)
                       if args.reset_after_forward_path else None)
        self.replaces_refused = False

    def log(self, text):
        with self.lock:
            self.logf.write("%.3f %s\n" % (time.time(), text))

    def count(self, group, key):
        with self.lock:
            d = self.counts[group]
            d[key] = d.get(key, 0) + 1
            self.save_counts()

    def save_counts(self):
        if not self.args.counts:
            return
        tmp = self.args.counts + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.counts, f, sort_keys=True)
        os.replace(tmp, self.args.counts)

    def draw(self, pct):
        if pct <= 0:
            return False
        with self.lock:
            return self.rng.random() * 100 < pct

    def retry_after(self, v=None):
        v = self.args.retry_after if v is None else v
        if v.startswith("date:+"):
            return email.utils.formatdate(time.time() + int(v[6:]), usegmt=True)
        return v

    # ------------------------------------------------------------- serving

    def serve(self):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.args.port))
        ls.listen(128)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.args.cert, self.args.key)
        self.me = "127.0.0.1:%d" % ls.getsockname()[1]
        self.log("listening on %s, forwarding to %s:%d" % (self.me, self.up_host, self.up_port))
        if self.args.port_file:
            with open(self.args.port_file + ".tmp", "w") as f:
                f.write("%d\n" % ls.getsockname()[1])
            os.replace(self.args.port_file + ".tmp", self.args.port_file)
        while True:
            raw, _ = ls.accept()
            threading.Thread(target=self.connection, args=(raw, ctx), daemon=True).start()

    def connection(self, raw, ctx):
        applies = self.args.methods == "ALL" and self.path_rx is None
        if (self.args.reset_stage == "accept" and applies and
                self.draw(self.args.rate_reset)):
            self.count("faults", "reset")
            self.log("fault reset at accept")
            self.reset(raw)
            return
        try:
            conn = ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as ex:
            self.log("TLS handshake failed: %s" % ex)
            raw.close()
            return
        self.count("connections", "tls")
        try:
            rfile = conn.makefile("rb")
            while self.one_request(conn, rfile):
                pass
        except (OSError, ValueError) as ex:
            self.log("connection ended: %s" % ex)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def reset(self, sock):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        sock.close()

    def read_request(self, rfile):
        line = rfile.readline(65537)
        if not line:
            return None
        parts = line.decode("latin-1").rstrip("\r\n").split(" ")
        if len(parts) != 3:
            raise ValueError("bad request line %r" % line)
        headers = []
        while True:
            h = rfile.readline(65537)
            if not h or h in (b"\r\n", b"\n"):
                break
            name, _, value = h.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        length = 0
        for name, value in headers:
            if name.lower() == "content-length":
                length = int(value)
        body = rfile.read(length) if length else b""
        return parts[0], parts[1], headers, body

    def send(self, conn, status, reason, headers, body):
        out = ["HTTP/1.1 %d %s" % (status, reason)]
        for name, value in headers:
            if name.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            out.append("%s: %s" % (name, value))
        out.append("Content-Length: %d" % len(body))
        if self.args.close:
            out.append("Connection: close")
        conn.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)

    def problem(self, conn, status, reason, kind):
        body = json.dumps({
            "type": "urn:ietf:params:acme:error:rateLimited",
            "detail": "the CA is busy (injected %s)" % kind,
            "status": status,
        }).encode()
        self.send(conn, status, reason, [("Content-Type", "application/problem+json"),
                                         ("Retry-After", self.retry_after())], body)

    def one_request(self, conn, rfile):
        req = self.read_request(rfile)
        if req is None:
            return False
        method, path, headers, body = req
        kind = path_kind(path)
        self.count("requests", method)
        self.count("kinds", kind)
        self.log("%s %s (%s, %d bytes)" % (method, path, kind, len(body)))
        in_scope = self.path_rx is None or self.path_rx.search(path)
        rated = in_scope and (self.args.methods == "ALL" or method == self.args.methods)
        if self.stall_rx and self.stall_rx.search(path):
            self.count("faults", "stall")
            self.log("fault stall %s" % path)
            self.held.append(conn)
            while True:
                time.sleep(3600)
        if self.delay_rx and self.delay_rx.search(path):
            self.count("faults", "delay")
            self.log("fault delay %ss %s" % (self.args.delay, path))
            time.sleep(self.args.delay)
        if rated and self.args.reset_stage == "request" and self.draw(self.args.rate_reset):
            self.count("faults", "reset")
            self.log("fault reset after reading %s %s" % (method, path))
            self.reset(conn)
            return False
        if rated and self.draw(self.args.rate_503):
            self.count("faults", "503")
            self.log("fault 503 %s" % path)
            self.problem(conn, 503, "Service Unavailable", "503")
            return not self.args.close
        if rated and self.draw(self.args.rate_429):
            self.count("faults", "429")
            self.log("fault 429 %s" % path)
            self.problem(conn, 429, "Too Many Requests", "429")
            return not self.args.close
        if rated and self.draw(self.args.rate_500):
            self.count("faults", "500")
            self.log("fault 500 %s" % path)
            html = b"<html><head><title>500 Internal Server Error</title></head><body>" \
                   b"<h1>Internal Server Error</h1></body></html>\n"
            self.send(conn, 500, "Internal Server Error",
                      [("Content-Type", "text/html")], html)
            return not self.args.close
        if kind == "renewalInfo" and self.args.ari_window:
            self.renewal_info(conn, path)
            return not self.args.close
        if kind == "newOrder" and method == "POST":
            payload = self.jws_payload(body)
            refused = self.refused_name(payload)
            if refused:
                self.count("faults", "rejected-identifier")
                self.log("fault rejectedIdentifier %s" % refused)
                self.send(conn, 400, "Bad Request",
                          [("Content-Type", "application/problem+json")],
                          json.dumps({"type": "urn:ietf:params:acme:error:rejectedIdentifier",
                                      "detail": "policy forbids issuing for %s" % refused,
                                      "status": 400}).encode())
                return not self.args.close
            if (self.args.refuse_replaces and isinstance(payload, dict) and
                    "replaces" in payload and not self.replaces_refused):
                self.replaces_refused = True
                self.count("faults", "refuse-replaces")
                self.log("fault refused replaces %s" % payload["replaces"])
                self.record_order(payload)
                self.send(conn, 400, "Bad Request",
                          [("Content-Type", "application/problem+json")],
                          json.dumps({"type": "urn:ietf:params:acme:error:malformed",
                                      "detail": "the certificate to replace is unknown",
                                      "status": 400}).encode())
                return not self.args.close
        deactivation = None
        if (self.args.deactivation and kind == "authz" and method == "POST" and
                self.jws_payload(body) == {"status": "deactivated"}):
            deactivation = self.args.deactivation
            self.count("faults", "deactivation-" + deactivation)
            self.log("fault deactivation %s %s" % (deactivation, path))
        if deactivation == "refuse":
            self.send(conn, 403, "Forbidden", [("Content-Type", "application/problem+json")],
                      json.dumps({"type": "urn:ietf:params:acme:error:unauthorized",
                                  "detail": "authorizations cannot be deactivated here",
                                  "status": 403}).encode())
            return not self.args.close
        if deactivation == "ignore":
            self.send(conn, 200, "OK", [("Content-Type", "application/json")],
                      json.dumps({"status": "deactivated"}).encode())
            return not self.args.close
        status, reason, rheaders, rbody = self.forward(method, path, headers, body)
        if status < 400:
            self.count("accepted", kind)
        if kind == "newOrder" and status < 400:
            self.record_order(self.jws_payload(body))
        if self.raf_rx and self.raf_rx.search(path) and status < 400:
            self.count("faults", "reset-after-forward")
            self.count("reset-after-forward", kind)
            self.log("fault reset after forwarding %s %s (Pebble answered %d)" %
                     (method, path, status))
            self.reset(conn)
            return False
        rheaders, rbody = self.rewrite(kind, rheaders, rbody)
        if deactivation == "stays-valid" and status < 400:
            try:
                authz = json.loads(rbody)
                authz["status"] = "valid"
                rbody = json.dumps(authz).encode()
            except ValueError:
                pass
        if rated and self.draw(self.args.rate_bad_nonce):
            rheaders = [(n, "not/base64url+nonce==" if n.lower() == "replay-nonce" else v)
                        for n, v in rheaders]
            self.count("faults", "bad-nonce")
            self.log("fault bad-nonce %s" % path)
        self.send(conn, status, reason, rheaders, rbody)
        return not self.args.close

    def record_order(self, payload):
        if self.args.record_orders:
            with self.lock, open(self.args.record_orders, "a") as f:
                f.write(json.dumps(payload, sort_keys=True) + "\n")

    def refused_name(self, payload):
        """The first identifier of a newOrder PAYLOAD that --refuse-names-file
        lists, or None."""
        if not self.args.refuse_names_file or not isinstance(payload, dict):
            return None
        try:
            with open(self.args.refuse_names_file) as f:
                names = {line.strip() for line in f if line.strip()}
        except FileNotFoundError:
            return None
        for ident in payload.get("identifiers") or []:
            if isinstance(ident, dict) and ident.get("value") in names:
                return ident["value"]
        return None

    def jws_payload(self, body):
        """The decoded payload of a flattened JWS, or None."""
        try:
            b64 = json.loads(body)["payload"]
            return json.loads(base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)))
        except (ValueError, KeyError, TypeError):
            return None

    def renewal_info(self, conn, path):
        now = time.time()
        start, end = {"past": (now - 3 * 86400, now - 86400),
                      "now": (now - 86400, now),
                      "future": (now + 30 * 86400, now + 31 * 86400),
                      "malformed": (now, now - 86400)}[self.args.ari_window]
        fmt = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        body = {"suggestedWindow": {"start": fmt(start), "end": fmt(end)},
                "explanationURL": "https://%s/ari-explained" % self.me}
        headers = [("Content-Type", "application/json")]
        if self.args.ari_retry_after:
            headers.append(("Retry-After", self.args.ari_retry_after))
        self.log("renewal info %s: %s" % (path[len("/renewal-info/"):], self.args.ari_window))
        self.send(conn, 200, "OK", headers, json.dumps(body).encode())

    def rewrite_dir(self, rbody):
        try:
            obj = json.loads(rbody)
        except ValueError:
            return rbody
        if self.args.ari_window:
            obj["renewalInfo"] = "https://%s/renewal-info" % self.me
        if self.args.profiles:
            obj.setdefault("meta", {})["profiles"] = {
                n: "the %s profile" % n for n in self.args.profiles.split(",")}
        return json.dumps(obj).encode()

    def rewrite(self, kind, rheaders, rbody):
        """The directory additions, and the --token-rewrite and
        --order-processing faults."""
        if kind == "dir" and (self.args.ari_window or self.args.profiles):
            return rheaders, self.rewrite_dir(rbody)
        if not (self.args.token_rewrite and kind == "authz") and \
                not (self.args.order_processing and kind == "order"):
            return rheaders, rbody
        try:
            obj = json.loads(rbody)
        except ValueError:
            return rheaders, rbody
        if not isinstance(obj, dict):
            return rheaders, rbody
        changed = False
        if kind == "authz":
            for ch in obj.get("challenges", []):
                tok = ch.get("token")
                if ch.get("type") != "http-01" or not isinstance(tok, str):
                    continue
                if self.args.token_rewrite == "nul":
                    ch["token"] = tok[:10] + "\0" + tok[10:]
                else:
                    ch["token"] = tok[:16]
                changed = True
                self.count("faults", "token-" + self.args.token_rewrite)
        elif obj.get("status") in ("processing", "valid"):
            obj["status"] = "processing"
            obj.pop("certificate", None)
            changed = True
            self.count("faults", "order-processing")
            if self.args.processing_retry_after:
                rheaders = [(n, v) for n, v in rheaders if n.lower() != "retry-after"]
                rheaders.append(("Retry-After",
                                 self.retry_after(self.args.processing_retry_after)))
        if not changed:
            return rheaders, rbody
        self.log("fault rewrote the %s object" % kind)
        return rheaders, json.dumps(obj).encode()

    def forward(self, method, path, headers, body):
        up = http.client.HTTPSConnection(self.up_host, self.up_port, context=self.up_ctx,
                                         timeout=60)
        fwd = {}
        for name, value in headers:
            if name.lower() in ("accept-encoding", "connection", "content-length"):
                continue
            fwd[name] = value
        up.request(method, path, body=body if body else None, headers=fwd)
        r = up.getresponse()
        rbody = r.read()
        up.close()
        upstream = "%s:%d" % (self.up_host, self.up_port)
        rheaders = [(n, v.replace(upstream, self.me)) for n, v in r.getheaders()]
        rbody = rbody.replace(upstream.encode(), self.me.encode())
        with self.lock:
            self.counts["forwarded"] += 1
        self.log("-> %d (%d bytes)" % (r.status, len(rbody)))
        return r.status, r.reason, rheaders, rbody


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--upstream", required=True)
    p.add_argument("--upstream-ca", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--counts")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--methods", choices=["ALL", "POST", "GET", "HEAD"], default="ALL")
    p.add_argument("--path")
    p.add_argument("--rate-503", type=float, default=0)
    p.add_argument("--rate-429", type=float, default=0)
    p.add_argument("--rate-500", type=float, default=0)
    p.add_argument("--rate-reset", type=float, default=0)
    p.add_argument("--rate-bad-nonce", type=float, default=0)
    p.add_argument("--reset-stage", choices=["accept", "request"], default="accept")
    p.add_argument("--retry-after", default="1")
    p.add_argument("--stall-path")
    p.add_argument("--delay-path")
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--close", action="store_true")
    p.add_argument("--reset-after-forward-path")
    p.add_argument("--token-rewrite", choices=["nul", "short"])
    p.add_argument("--order-processing", action="store_true")
    p.add_argument("--processing-retry-after")
    p.add_argument("--ari-window", choices=["past", "now", "future", "malformed"])
    p.add_argument("--ari-retry-after")
    p.add_argument("--profiles")
    p.add_argument("--record-orders")
    p.add_argument("--refuse-replaces", action="store_true")
    p.add_argument("--refuse-names-file")
    p.add_argument("--deactivation", choices=["refuse", "ignore", "stays-valid"])
    Proxy(p.parse_args()).serve()


if __name__ == "__main__":
    main()
