"""A small OpenID Connect provider for the tests: discovery, JWKS, the authorization code flow
with a password form, a token endpoint signing RS256 ID tokens, and userinfo.

It plays TAXISnet and the municipality's SSO over real HTTP, so dimos's own client (authlib)
does everything it does against a real provider: discovery, redirect with state and nonce,
code exchange with client authentication, ID token signature, issuer, audience and nonce
checks. Each realm (``/<realm>/…``) is a provider of its own with its own users; the realm
``forger`` signs with a key its JWKS does not publish.
"""
from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "dimos"
CLIENT_SECRET = "dimos-client-secret"
FORM = """<!doctype html><form method="post">
<input name="username"><input name="password" type="password"><button>Sign in</button></form>"""


@dataclass
class Realm:
    users: dict[str, tuple[str, dict]] = field(default_factory=dict)  # name: (password, claims)
    codes: dict[str, dict] = field(default_factory=dict)
    tokens: dict[str, dict] = field(default_factory=dict)


class IdentityProvider:
    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
        self.forged_key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
        self.realms: dict[str, Realm] = {}
        self.app = self._app()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "IdentityProvider":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def add_user(self, realm: str, username: str, password: str, **claims) -> None:
        self.realms.setdefault(realm, Realm()).users[username] = (password, claims)

    def metadata_url(self, realm: str) -> str:
        self.realms.setdefault(realm, Realm())
        return f"{self.url}/{realm}/.well-known/openid-configuration"

    def _realm(self, name: str) -> Realm:
        if name not in self.realms:
            abort(404)
        return self.realms[name]

    def _app(self) -> Flask:
        app = Flask("identity-provider")

        @app.get("/<realm>/.well-known/openid-configuration")
        def discovery(realm):
            self._realm(realm)
            issuer = f"{self.url}/{realm}"
            return jsonify(
                issuer=issuer, authorization_endpoint=f"{issuer}/authorize",
                token_endpoint=f"{issuer}/token", userinfo_endpoint=f"{issuer}/userinfo",
                jwks_uri=f"{issuer}/jwks", response_types_supported=["code"],
                subject_types_supported=["public"], id_token_signing_alg_values_supported=["RS256"],
                token_endpoint_auth_methods_supported=["client_secret_basic"])

        @app.get("/<realm>/jwks")
        def jwks(realm):
            self._realm(realm)
            return jsonify(keys=[self.key.as_dict(private=False)])

        @app.route("/<realm>/authorize", methods=["GET", "POST"])
        def authorize(realm):
            users = self._realm(realm).users
            args = request.args
            if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
                abort(400)
            if request.method == "GET":
                return FORM
            password, claims = users.get(request.form.get("username", ""), (None, None))
            if password is None or password != request.form.get("password"):
                return redirect(f"{args['redirect_uri']}?"
                                + urlencode({"error": "access_denied", "state": args["state"]}))
            code = secrets.token_urlsafe(16)
            self.realms[realm].codes[code] = {
                "claims": claims, "nonce": args.get("nonce"),
                "redirect_uri": args["redirect_uri"], "scope": args.get("scope", "")}
            return redirect(f"{args['redirect_uri']}?" + urlencode({"code": code,
                                                                   "state": args["state"]}))

        @app.post("/<realm>/token")
        def token(realm):
            state = self._realm(realm)
            if request.headers.get("Authorization") != "Basic " + base64.b64encode(
                    f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode():
                return jsonify(error="invalid_client"), 401
            grant = state.codes.pop(request.form.get("code", ""), None)  # a code works once
            if grant is None or grant["redirect_uri"] != request.form.get("redirect_uri"):
                return jsonify(error="invalid_grant"), 400
            now = int(time.time())
            claims = {"iss": f"{self.url}/{realm}", "aud": CLIENT_ID, "iat": now,
                      "exp": now + 300, **grant["claims"]}
            if grant["nonce"]:
                claims["nonce"] = grant["nonce"]
            signing_key = self.forged_key if realm == "forger" else self.key
            id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, signing_key)
            access_token = secrets.token_urlsafe(16)
            state.tokens[access_token] = grant["claims"]
            return jsonify(access_token=access_token, token_type="Bearer", expires_in=300,
                           id_token=id_token, scope=grant["scope"])

        @app.get("/<realm>/userinfo")
        def userinfo(realm):
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            claims = self._realm(realm).tokens.get(given) if scheme == "Bearer" else None
            return jsonify(claims) if claims else (jsonify(error="invalid_token"), 401)

        return app
