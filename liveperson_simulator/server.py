"""HTTPS plumbing: a threaded HTTP/1.1 server with keep-alive, TLS handshakes off the accept loop.

Every answer has a Content-Length, so clients can reuse connections like they do with LivePerson.
The server is quiet: no per-request logging, no tracebacks for clients that hang up.
"""

import socket
import ssl
import threading
import traceback
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .messages import Request, Response, json_response

App = Callable[[Request], Response | None]
IDLE_CONNECTION_SECONDS = 30


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LivePersonSimulator/1.0"
    sys_version = ""
    timeout = IDLE_CONNECTION_SECONDS
    disable_nagle_algorithm = True
    server: "SimulatorHTTPServer"

    def setup(self) -> None:
        super().setup()
        self.connection.do_handshake()  # in this connection's thread, not in the accept loop

    def _dispatch(self) -> None:
        request = self._read_request()
        try:
            response = self.server.app(request)
        except Exception as error:  # noqa: BLE001 - a simulator bug: answer 500, keep the traceback
            self.server.errors.append(traceback.format_exc())
            response = json_response(500, {"internalCode": "SIMULATOR-BUG", "message": repr(error)})
        if response is None:  # a "drop" fault: hang up without a word
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _read_request(self) -> Request:
        length = int(self.headers.get("Content-Length") or 0)
        parts = urlsplit(self.path)
        return Request(
            method=self.command,
            path=parts.path,
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers=self.headers,
            body=self.rfile.read(length) if length > 0 else b"",
            host=self.headers.get("Host") or f"localhost:{self.server.server_port}",
        )

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the request log lives in ``Simulator.requests``."""


class SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext, app: App) -> None:
        self.app = app
        self.errors: deque[str] = deque(maxlen=100)  # tracebacks of simulator bugs, newest last
        self._context = context
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, tuple]:
        sock, address = self.socket.accept()
        tls_sock = self._context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self._connections_lock:
            self._connections.add(tls_sock)
        return tls_sock, address

    def shutdown_request(self, request: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that fail the handshake or hang up mid-request are not the simulator's problem."""

    def close_all_connections(self) -> None:
        """Hang up on keep-alive connections so that no request is served after ``stop()``."""
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()
