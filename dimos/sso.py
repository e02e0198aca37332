"""Single sign-on with OpenID Connect (authlib): citizens through TAXISnet, staff through the
municipality's own provider, each configured in DIMOS_IDENTITY_PROVIDERS.

``/auth/<provider>/login`` sends the browser to the provider (authorization code flow, with
state and nonce kept in the session); ``/auth/<provider>/callback`` exchanges the code, has
authlib check the ID token (signature against the provider's keys, issuer, audience, expiry,
nonce), gives the person the role the provider grants (settings.IdentityProvider) and
signs them in with the same session cookie local accounts get. Nothing personal is kept: the
account is the provider's subject identifier.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, jsonify, redirect, request, session, url_for
from joserfc.errors import JoseError

from accounts import people as accounts
from dimos.proxies import public_base
from dimos.sessions import start
from gis.db import act_in, pooled_cursor
from gis.roles import PEOPLE
from settings import IdentityProvider, Settings

#: when groups map to several roles, the most powerful wins
ROLE_RANK = {role: rank for rank, role in enumerate(PEOPLE)}


def granted_role(provider: IdentityProvider, claims: dict) -> str | None:
    """The dimos role the provider grants a person: a mapped group, else its default."""
    groups = claims.get(provider.role_claim) if provider.role_claim else None
    if isinstance(groups, str):
        groups = [groups]
    mapped = [provider.roles[group] for group in groups or ()
              if isinstance(group, str) and group in provider.roles]
    return max(mapped, key=ROLE_RANK.__getitem__) if mapped else provider.role


#: what browsers drop from a URL before reading it: tabs and line breaks anywhere (WHATWG URL)
_DROPPED = str.maketrans("", "", "\t\r\n")
#: and C0 controls and spaces at either end
_EDGES = "".join(map(chr, range(0x21)))


def _local_path(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (no open redirect).

    Read as a browser would: ``/<TAB>/evil.com`` is ``//evil.com`` to it, and ``/\\evil.com``
    too (backslashes are slashes in http URLs); only a path starting with one '/' and naming
    no scheme or host is kept, in the form the browser would have read.
    """
    if not isinstance(target, str):
        return "/"
    path = target.translate(_DROPPED).strip(_EDGES).replace("\\", "/")
    if not path.startswith("/") or path.startswith("//"):
        return "/"
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return "/"
    return path


def register_single_sign_on(app: Flask, settings: Settings) -> None:
    oauth = OAuth(app)
    for name, provider in settings.identity_providers.items():
        oauth.register(name, client_id=provider.client_id, client_secret=provider.client_secret,
                       server_metadata_url=provider.metadata_url,
                       client_kwargs={"scope": provider.scope})
    app.register_blueprint(_blueprint(settings, oauth))


def _blueprint(settings: Settings, oauth: OAuth) -> Blueprint:
    blueprint = Blueprint("sso", __name__)
    providers = settings.identity_providers
    url = settings.effective_app_database_url

    def provider_or_404(name: str) -> IdentityProvider:
        if name not in providers:
            abort(404, description=f"no identity provider {name!r}")
        return providers[name]

    @blueprint.get("/api/session/providers")
    def list_providers():
        return jsonify([{"id": name, "title": p.title,
                         "login": url_for("sso.login", provider=name)}
                        for name, p in providers.items()])

    @blueprint.get("/auth/<provider>/login")
    def login(provider):
        provider_or_404(provider)
        session["after_sign_in"] = _local_path(request.args.get("next"))
        callback = public_base(settings) + url_for("sso.callback", provider=provider)
        return oauth.create_client(provider).authorize_redirect(callback)

    @blueprint.get("/auth/<provider>/callback")
    def callback(provider):
        config = provider_or_404(provider)
        if "error" in request.args:
            return _refused(f"{config.title} did not sign you in: {request.args['error']}")
        try:
            token = oauth.create_client(provider).authorize_access_token()
        except OAuthError as exc:  # a wrong state or code
            return _refused(f"the sign-in with {config.title} failed: {exc.error}")
        except JoseError as exc:  # the ID token's signature, issuer, audience, expiry or nonce
            return _refused(f"the sign-in with {config.title} failed: its ID token is not "
                            f"valid ({exc.error})")
        claims = token.get("userinfo") or {}
        subject = claims.get("sub")
        role = granted_role(config, claims)
        if not subject or role is None:
            return _refused(f"{config.title} signed you in, but grants no role in dimos", 403)
        with pooled_cursor(url, commit=True, actor=f"sso:{provider}") as cur:
            # the provider maps people into its municipalities (none configured: every one)
            act_in(cur, config.jurisdictions or "*")
            principal = accounts.sign_in_with_provider(cur, provider, str(subject), role,
                                                         config.jurisdictions)
        if principal is None:
            return _refused("this account is disabled", 403)
        after = session.get("after_sign_in", "/")
        start(url, principal)
        return redirect(_local_path(after))

    return blueprint


def _refused(message: str, status: int = 401):
    session.pop("after_sign_in", None)
    return jsonify(code="Unauthorized" if status == 401 else "Forbidden",
                   description=message), status
