"""The HTTP side: the standard library's ``ThreadingHTTPServer`` with one fixed route table.

Why the standard library: the dashboard is one user on loopback polling a few small JSON
documents; a thread per request is plenty, and it adds no dependency to an optional install.

Only two kinds of thing are ever read from disk: the package's own static files (a name must be
one of those shipped, matched exactly) and the named runs (addressed by index, archids passed as
query values to SQL or through ``safe_filename``). Requests whose ``Host`` is not this server's
are refused, so a web page elsewhere cannot read a loopback dashboard by DNS rebinding.
"""
from __future__ import annotations

import json
import mimetypes
import re
import socketserver
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

from nas_dashboard import model_info, queries
from nas_dashboard.runs import Run

STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8", ".md": "text/markdown; charset=utf-8"}
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'"
MAX_ARCHID = 4096
_ROUTE = re.compile(r"^/api/runs/(?P<run>[^/]+)/(?P<doc>overview|evaluations|iterations|model)$")
_FILE = re.compile(r"^/files/(?P<run>[^/]+)/(?P<kind>[^/]+)$")


class BadRequest(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def static_files() -> Dict[str, bytes]:
    """Every shipped asset by name, read once: nothing else is served from the package."""
    folder = resources.files("nas_dashboard").joinpath("static")
    return {entry.name: entry.read_bytes() for entry in folder.iterdir()
            if entry.is_file() and any(entry.name.endswith(ext) for ext in STATIC_TYPES)}


class Dashboard:
    """The application: runs, settings and the route table (kept apart from the handler class
    so tests can call it without sockets too)."""

    def __init__(self, runs: List[Run], interval: float = 3.0, plugins: Any = None) -> None:
        self.runs = runs
        self.interval = interval
        self.assets = static_files()
        #: the plugin manager a model page rebuilds a run's search space with: each request runs in
        #: a thread of its own, outside the scope of the command that started the server
        self.plugins = plugins

    def respond(self, path: str, query: Dict[str, List[str]]) -> Tuple[HTTPStatus, str, bytes, Dict[str, str]]:
        """``handle`` with the dashboard's plugins in use (when it was given some)."""
        if self.plugins is None:
            return self.handle(path, query)
        from nas_kernel.plugins_in_use import using_plugins

        with using_plugins(self.plugins):
            return self.handle(path, query)

    def run(self, text: str) -> Run:
        if not text.isdigit() or int(text) >= len(self.runs):
            raise BadRequest(HTTPStatus.NOT_FOUND, f"no run {text!r}: runs are 0..{len(self.runs) - 1}")
        return self.runs[int(text)]

    def handle(self, path: str, query: Dict[str, List[str]]) -> Tuple[HTTPStatus, str, bytes, Dict[str, str]]:
        if path in ("/", "/index.html"):
            return self._asset("index.html")
        if path.startswith("/static/"):
            return self._asset(path[len("/static/"):])
        if path == "/api/runs":
            return _json({"runs": [{"run": r.index, "name": r.name, "path": r.path} for r in self.runs],
                          "interval_s": self.interval})
        match = _ROUTE.match(path)
        if match:
            run = self.run(match["run"])
            doc = match["doc"]
            if doc == "overview":
                return _json(queries.overview(run))
            if doc == "evaluations":
                return _json(queries.evaluations(run, _int_arg(query, "since", 0)))
            if doc == "iterations":
                return _json(queries.iterations(run, _int_arg(query, "since", 0)))
            archid = _text_arg(query, "archid")
            found = queries.model_rows(run, archid)
            if not found["evaluations"] and not found["candidates"]:
                raise BadRequest(HTTPStatus.NOT_FOUND, f"run {run.index} has no model {archid!r}")
            found.update(model_info.describe(run, archid))
            found["files"] = model_info.saved_files(run, archid)
            return _json(found)
        match = _FILE.match(path)
        if match:
            run = self.run(match["run"])
            if match["kind"] not in model_info.FILES:
                raise BadRequest(HTTPStatus.NOT_FOUND, f"no file kind {match['kind']!r}; kinds: "
                                 + ", ".join(model_info.FILES))
            archid = _text_arg(query, "archid")
            found = model_info.file_path(run, match["kind"], archid)
            if found is None:
                raise BadRequest(HTTPStatus.NOT_FOUND, f"no {match['kind']} file for {archid!r} in run {run.index}")
            with open(found, "rb") as f:
                body = f.read()
            name = found.rsplit("/", 1)[-1]
            return HTTPStatus.OK, "application/octet-stream", body, {
                "Content-Disposition": f"attachment; filename=\"{_header_safe(name)}\""}
        raise BadRequest(HTTPStatus.NOT_FOUND, f"no such page: {path}")

    def _asset(self, name: str):
        body = self.assets.get(name)
        if body is None:
            raise BadRequest(HTTPStatus.NOT_FOUND, f"no such asset: {name}")
        ext = name[name.rfind("."):]
        return HTTPStatus.OK, STATIC_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream", \
            body, {"Cache-Control": "no-cache"}


def _json(document: Any):
    body = json.dumps(document, allow_nan=False, default=str).encode("utf-8")
    return HTTPStatus.OK, "application/json", body, {"Cache-Control": "no-store"}


def _int_arg(query: Dict[str, List[str]], name: str, default: int) -> int:
    values = query.get(name)
    if not values:
        return default
    text = values[-1]
    if not text.isdigit() or len(text) > 18:
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"parameter {name!r} must be a whole number >= 0, got {text!r}")
    return int(text)


def _text_arg(query: Dict[str, List[str]], name: str) -> str:
    values = query.get(name)
    if not values or not values[-1]:
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"parameter {name!r} is required")
    if len(values[-1]) > MAX_ARCHID:
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"parameter {name!r} is longer than {MAX_ARCHID} characters")
    return values[-1]


def _header_safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=,+-]", "_", name)


def make_handler(app: Dashboard, allowed_hosts: Optional[set]) -> Callable:
    class Handler(BaseHTTPRequestHandler):
        server_version = "nas-dashboard"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._serve(head=False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._serve(head=True)

        def _refuse(self) -> None:
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, "application/json",
                       json.dumps({"error": f"{self.command} is not allowed: the dashboard is read-only"}).encode(),
                       {"Allow": "GET, HEAD"}, head=False)

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse  # noqa: N815

        def _serve(self, head: bool) -> None:
            host = (self.headers.get("Host") or "").lower()
            if allowed_hosts is not None and host not in allowed_hosts:
                self._send(HTTPStatus.FORBIDDEN, "application/json",
                           json.dumps({"error": f"unexpected Host header {host!r}"}).encode(), {}, head)
                return
            parts = urlsplit(self.path)
            try:
                query = parse_qs(parts.query, keep_blank_values=True, max_num_fields=20)
                status, ctype, body, headers = app.respond(parts.path, query)
            except BadRequest as exc:
                status, ctype, body, headers = exc.status, "application/json", \
                    json.dumps({"error": str(exc)}).encode(), {}
            except ValueError as exc:  # e.g. too many query fields
                status, ctype, body, headers = HTTPStatus.BAD_REQUEST, "application/json", \
                    json.dumps({"error": str(exc)}).encode(), {}
            except Exception as exc:  # a store being rewritten, a broken file: one message, no traceback
                status, ctype, body, headers = HTTPStatus.INTERNAL_SERVER_ERROR, "application/json", \
                    json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode(), {}
            self._send(status, ctype, body, headers, head)

        def _send(self, status, ctype, body: bytes, headers: Dict[str, str], head: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("Referrer-Policy", "no-referrer")
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the terminal shows the URL only
            pass

    return Handler


def loopback_hosts(host: str, port: int) -> Optional[set]:
    """The Host headers a loopback-bound server accepts; None (any) when bound elsewhere on
    purpose, where the user chose to expose it."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        return None
    return {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}


class DashboardServer(ThreadingHTTPServer):
    daemon_threads = True
    # SO_REUSEADDR (http.server's default) only skips TIME_WAIT leftovers of a previous run; on
    # Linux a port another process listens on is still refused, which is what we report

    def server_bind(self) -> None:
        """Bind without http.server's reverse DNS lookup of the address (slow offline)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), port


def make_server(app: Dashboard, host: str, port: int) -> DashboardServer:
    """Bind (raises OSError, e.g. EADDRINUSE) and return the server; its real port is
    ``server.server_address[1]`` (useful with port 0)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server_class = type("BoundDashboardServer", (DashboardServer,), {"address_family": family})
    server = server_class((host, port), make_handler(app, None))
    server.RequestHandlerClass = make_handler(app, loopback_hosts(host, server.server_address[1]))
    return server
