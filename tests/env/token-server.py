#!/usr/bin/env python3
"""tests/env/token-server.py — a small token service for bld's tests that behaves like
Docker Hub's (auth.docker.io): GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...]
with optional HTTP basic credentials answers {"token", "access_token", "expires_in",
"issued_at"}; the token is a JWT (ES256 for an EC key, RS256 for an RSA key) whose header carries the signing certificate
(x5c), which the registry trusts through auth.token.rootcertbundle.

Rules: a known user with the right password gets every action asked for; wrong
credentials get 401; anonymous callers get "pull" only (none with --no-anonymous).
POST /token speaks OAuth2 (grant_type=refresh_token with --refresh-token's value, or
grant_type=password) the way docker uses identity tokens.
Every request is appended to --log as one line "user scopes" ("-" for anonymous), so a
test can count how often a client asked for a token.

Usage: token-server.py --key KEY.pem --cert CERT.pem --users FILE (user:password lines)
       --issuer ISS --service SVC --port-file FILE [--log FILE] [--no-anonymous]
       [--refresh-token TOKEN]
Listens on 127.0.0.1 on a free port and writes that port to --port-file when ready.
Test fixture only: never use it for anything real.
"""
import argparse, base64, binascii, json, os, sys, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    def __init__(self, args):
        with open(args.key, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        with open(args.cert, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        self.x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        self.users = {}
        with open(args.users) as f:
            for line in f:
                line = line.rstrip("\n")
                if ":" in line:
                    u, p = line.split(":", 1)
                    self.users[u] = p
        self.args = args

    def token(self, user, access):
        now = int(time.time())
        is_ec = isinstance(self.key, ec.EllipticCurvePrivateKey)
        header = {"typ": "JWT", "alg": "ES256" if is_ec else "RS256", "x5c": [self.x5c]}
        claims = {"iss": self.args.issuer, "sub": user or "", "aud": self.args.service,
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex,
                  "access": access}
        signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        if is_ec:  # JWS wants r || s, 32 bytes each, not DER
            r, s = utils.decode_dss_signature(self.key.sign(signing.encode(), ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        else:
            sig = self.key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing + "." + b64url(sig)


def parse_scope(scope):
    # repository:name:actions — the name may hold a port ("127.0.0.1:5000/x" never occurs
    # in scopes, but be strict about the shape)
    parts = scope.split(":")
    if len(parts) < 3:
        return None
    return {"type": parts[0], "name": ":".join(parts[1:-1]), "actions": parts[-1].split(",")}


class Handler(BaseHTTPRequestHandler):
    issuer = None

    def log_message(self, fmt, *a):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def user(self):
        """(user, ok): user None for anonymous; ok False for bad credentials."""
        h = self.headers.get("Authorization", "")
        if not h.startswith("Basic "):
            return None, True
        try:
            u, p = base64.b64decode(h[6:]).decode().split(":", 1)
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None, False
        return u, self.issuer.users.get(u) == p

    def do_POST(self):
        """OAuth2 as docker uses it for identity tokens: grant_type=refresh_token with
        --refresh-token's value, or grant_type=password with a user's password."""
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length", "0") or 0)
        form = parse_qs(self.rfile.read(length).decode()) if length else {}
        a = self.issuer.args
        if url.path != "/token":
            return self.reply(404, {"details": "not found"})
        if form.get("service", [""])[0] != a.service:
            return self.reply(400, {"details": "unknown service"})
        grant = form.get("grant_type", [""])[0]
        user = None
        if grant == "refresh_token" and a.refresh_token and \
                form.get("refresh_token", [""])[0] == a.refresh_token:
            user = "refresh"
        elif grant == "password" and \
                self.issuer.users.get(form.get("username", [""])[0]) == form.get("password", [None])[0]:
            user = form["username"][0]
        if user is None:
            return self.reply(400, {"error": "invalid_grant"})
        scopes = form.get("scope", [""])[0].split(" ") if form.get("scope") else []
        access = [sc for sc in map(parse_scope, scopes) if sc]
        if a.log:
            with open(a.log, "a") as f:
                f.write("%s %s\n" % ("oauth:" + user, " ".join(scopes) or "-"))
        tok = self.issuer.token(user, access)
        self.reply(200, {"access_token": tok, "expires_in": 300, "scope": " ".join(scopes)})

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/token":
            return self.reply(404, {"details": "not found"})
        q = parse_qs(url.query)
        a = self.issuer.args
        if q.get("service", [""])[0] != a.service:
            return self.reply(400, {"details": "unknown service"})
        user, ok = self.user()
        if not ok:
            return self.reply(401, {"details": "incorrect username or password"})
        if user is None and a.no_anonymous:
            return self.reply(401, {"details": "authentication required"})
        scopes = q.get("scope", [])
        access = []
        for s in scopes:
            for one in s.split(" "):
                sc = parse_scope(one)
                if sc is None:
                    return self.reply(400, {"details": "invalid scope"})
                if user is None:
                    sc["actions"] = [x for x in sc["actions"] if x == "pull"]
                access.append(sc)
        if a.log:
            with open(a.log, "a") as f:
                f.write("%s %s\n" % (user or "-", " ".join(scopes) or "-"))
        tok = self.issuer.token(user, access)
        self.reply(200, {"token": tok, "access_token": tok, "expires_in": 300,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})


def main():
    p = argparse.ArgumentParser()
    for opt in ("--key", "--cert", "--users", "--issuer", "--service", "--port-file"):
        p.add_argument(opt, required=True)
    p.add_argument("--log")
    p.add_argument("--no-anonymous", action="store_true")
    p.add_argument("--refresh-token", help="the identity token that POST /token accepts")
    args = p.parse_args()
    Handler.issuer = Issuer(args)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
