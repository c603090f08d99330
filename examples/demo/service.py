"""A small real HTTP service for the hook-script tests and `make rehearse`, with faults to inject.

    python examples/demo/service.py --port 8080 [--health-delay 3] [--unhealthy]
        [--ignore-sigterm] [--stop-delay 2] [--tls-cert cert.pem --tls-key key.pem]

GET /health answers 200 "ok" once the service is healthy, 503 before that (--health-delay) and 500
always with --unhealthy. SIGTERM shuts it down (after --stop-delay), or is ignored. With --tls-cert and
--tls-key it answers https.
"""

from __future__ import annotations

import argparse
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--health-delay", type=float, default=0.0)
    parser.add_argument("--unhealthy", action="store_true")
    parser.add_argument("--ignore-sigterm", action="store_true")
    parser.add_argument("--stop-delay", type=float, default=0.0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    healthy_at = time.monotonic() + args.health_delay

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/health":
                status, body = 404, b"not found"
            elif args.unhealthy:
                status, body = 500, b"database unreachable"
            elif time.monotonic() < healthy_at:
                status, body = 503, b"warming up"
            else:
                status, body = 200, b"ok"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *values: object) -> None:
            sys.stdout.write("request: " + format % values + "\n")
            sys.stdout.flush()

    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)

    def shut_down_after_delay() -> None:
        time.sleep(args.stop_delay)
        server.shutdown()

    def on_sigterm(_signum: int, _frame: FrameType | None) -> None:
        if args.ignore_sigterm:
            print("ignoring SIGTERM", flush=True)
            return
        print("SIGTERM: shutting down", flush=True)
        threading.Thread(target=shut_down_after_delay, daemon=True).start()

    signal.signal(signal.SIGTERM, on_sigterm)
    print(f"serving on 127.0.0.1:{args.port}", flush=True)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
