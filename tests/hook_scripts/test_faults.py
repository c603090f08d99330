"""The hooks against the faults of issue 14, run for real: strangers' pids, pid 0 and 1, planted links,
concurrent runs, a reverse proxy on the health port, hostile URLs and commands, and the health check's
own branches (expected status, https, running but not healthy yet).

Each test asserts the app's true state, the exit status, the hook's FAILED (or success) line, and where
it matters that no other process was signalled and nothing outside the run folder was written.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from constructs_lib import HookScript
from tests.hook_scripts.harness import DemoService, free_port, hook_env, port_open, run_hook, wait_for

BOOT_ID = Path("/proc/sys/kernel/random/boot_id").read_text().strip()


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated process that must never be signalled."""
    process = subprocess.Popen(["sleep", "300"], start_new_session=True)
    yield process
    process.kill()
    process.wait()


def health(service: DemoService, **extra: str) -> dict[str, str]:
    return {**service.ssm, "HealthUrl": f"http://127.0.0.1:{service.port}/health", **extra}


def start_ticks(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[19]


def write_record(service: DemoService, text: str) -> None:
    service.run_dir.mkdir(mode=0o700, exist_ok=True)
    service.pid_file.write_text(text)


def files_outside(folder: Path, run_dir: Path) -> set[Path]:
    """Every file under ``folder`` except the run folder's and the hook scripts the harness writes."""
    return {p for p in folder.rglob("*") if run_dir not in p.parents and p != run_dir and p.suffix != ".sh"}


def demo_processes(port: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"--port" in command and str(port).encode() in command:
                found.append(int(entry.name))
    return found


# ---- process identity -----------------------------------------------------------------------------


def test_a_strangers_pid_in_the_record_is_never_signalled(
    service: DemoService, stranger: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    # The record names the stranger's pid with another start time: a pid reused since the app ran.
    write_record(service, f"{stranger.pid} 1 {BOOT_ID}\n")
    run = run_hook("stop_app_gracefully", {**service.ssm, "Port": str(service.port)}, tmp_path)
    assert run.status == 0, run.stdout
    assert run.last_log.endswith(
        f"demo-app is already stopped (verified: process {stranger.pid} has exited (the pid now belongs to "
        f"another process), port {service.port} closed)"
    )
    assert stranger.poll() is None  # alive: never signalled


def test_the_start_hook_does_not_take_a_stranger_for_the_app(
    service: DemoService, stranger: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    write_record(service, f"{stranger.pid} 1 {BOOT_ID}\n")
    run = run_hook("start_app_and_verify", health(service), tmp_path)
    assert run.status == 0, run.stdout
    assert (
        f"starting demo-app (process {stranger.pid} has exited (the pid now belongs to another process))" in run.stdout
    )
    assert service.running()
    assert service.pid() != stranger.pid
    assert stranger.poll() is None


def test_a_record_from_before_the_last_reboot_names_no_live_process(
    service: DemoService, stranger: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    # Same pid and start time, another boot: after a reboot the numbers mean nothing.
    write_record(service, f"{stranger.pid} {start_ticks(stranger.pid)} 00000000-0000-0000-0000-000000000000\n")
    run = run_hook("stop_app_gracefully", service.ssm, tmp_path)
    assert run.status == 0, run.stdout
    assert run.last_log.endswith(f"(verified: process {stranger.pid} was recorded before the last reboot)")
    assert stranger.poll() is None


@pytest.mark.parametrize(
    "record", ["0 123 {boot}", "1 123 {boot}", "-1 123 {boot}", "12ab 1 {boot}", "4242", "", "42 1 {boot} extra"]
)
def test_a_record_that_is_not_one_is_refused(service: DemoService, tmp_path: Path, record: str) -> None:
    # Pid 0 would signal the hook's own process group, pid 1 init: neither is ever taken for the app. The
    # hook runs in a session of its own with a sentinel beside it, which must survive.
    write_record(service, record.format(boot=BOOT_ID) + "\n")
    script = tmp_path / "stop_app_gracefully.sh"
    script.write_text(HookScript.from_file("linux/stop_app_gracefully.sh").text + "\n")
    sentinel = tmp_path / "sentinel.pid"
    wrapper = f'sleep 30 >/dev/null 2>&1 & echo $! >"{sentinel}"; bash "{script}"'
    env = hook_env({**service.ssm, "Port": str(service.port)}, tmp_path)
    result = subprocess.run(
        ["setsid", "bash", "-c", wrapper], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30
    )
    sentinel_pid = int(sentinel.read_text())
    try:
        assert result.returncode == 1, result.stdout
        assert result.stdout.rstrip().endswith(
            f"FAILED: cannot tell whether demo-app runs: {service.pid_file} holds no valid record (pid, start time, "
            f"boot id); refusing it, port {service.port} closed"
        )
        os.kill(sentinel_pid, 0)  # still alive
    finally:
        os.kill(sentinel_pid, signal.SIGKILL)


def test_a_linked_record_is_refused_and_its_target_untouched(service: DemoService, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    service.run_dir.mkdir(mode=0o700)
    service.pid_file.symlink_to(victim)
    before = files_outside(tmp_path, service.run_dir)
    run = run_hook("start_app_and_verify", health(service), tmp_path)
    assert run.status == 1
    assert run.last_log.endswith(f"FAILED: {service.pid_file} is a symbolic link; refusing to follow it")
    assert victim.read_text() == "precious\n"
    assert files_outside(tmp_path, service.run_dir) == before
    assert not port_open(service.port)


def test_a_linked_log_is_refused_and_its_target_untouched(service: DemoService, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    service.run_dir.mkdir(mode=0o700)
    (service.run_dir / "demo-app.log").symlink_to(victim)
    run = run_hook("start_app_and_verify", health(service), tmp_path)
    assert run.status == 1
    assert run.last_log.endswith(f"FAILED: {service.run_dir}/demo-app.log is a symbolic link; refusing to follow it")
    assert victim.read_text() == "precious\n"
    assert not service.running()


# ---- the app's whole session -----------------------------------------------------------------------


def test_a_wrapper_that_leaves_the_app_behind_is_still_the_app(service: DemoService, tmp_path: Path) -> None:
    # The start command is a wrapper that launches the app and exits: the app runs on in the session the
    # start hook made, so the record's process is gone while the app is not.
    wrapper = tmp_path / "wrapper.sh"
    wrapper.write_text(f"{service.start_command} >/dev/null 2>&1 &\nexit 0\n")
    ssm = health(service, LinuxStartCommand=f"bash {wrapper}")
    start = run_hook("start_app_and_verify", ssm, tmp_path)
    assert start.status == 0, start.stdout
    assert re.search(
        r"\(process \d+ has exited, but 1 process\(es\) of its session still run; HTTP 200\)$", start.last_log
    )
    stop = run_hook("stop_app_gracefully", service.ssm, tmp_path)  # no Port: the session alone must tell
    assert stop.status == 0, stop.stdout
    assert re.search(r"stopped after \d+ s \(verified: process \d+ and its session have exited\)$", stop.last_log)
    assert not port_open(service.port)


def test_a_start_command_cannot_pass_options_to_setsid(service: DemoService, tmp_path: Path) -> None:
    # "--fork" would make setsid fork and the record name the wrong process; after "--" it is the program.
    run = run_hook(
        "start_app_and_verify", health(service, LinuxStartCommand=f"--fork {service.start_command}"), tmp_path
    )
    time.sleep(1)  # long enough for a forked copy to be up
    leaked = demo_processes(service.port)
    for pid in leaked:
        os.kill(pid, signal.SIGKILL)
    assert run.status == 1
    assert "FAILED: demo-app " in run.last_log
    assert leaked == []


# ---- what counts as a closed port ----------------------------------------------------------------------


def test_an_ipv6_listener_keeps_the_port_open(service: DemoService, tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET6) as sock:
        sock.bind(("::1", service.port))
        sock.listen()
        run = run_hook("stop_app_gracefully", {**service.ssm, "Port": str(service.port)}, tmp_path)
    assert run.status == 1
    assert run.last_log.endswith(
        f"FAILED: cannot tell whether demo-app runs: no process recorded in {service.pid_file}, port {service.port} "
        "open; it was not started by the start hook, so this hook will not signal it"
    )


def test_a_listener_too_busy_to_answer_is_not_a_closed_port(service: DemoService, tmp_path: Path) -> None:
    # A listener that never accepts, its queue full: connecting times out instead of being refused.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", service.port))
        sock.listen(0)
        waiting = []
        for _ in range(4):
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", service.port))
            waiting.append(client)
        try:
            run = run_hook("stop_app_gracefully", {**service.ssm, "Port": str(service.port)}, tmp_path)
        finally:
            for client in waiting:
                client.close()
    assert run.status == 1
    assert f"port {service.port} open" in run.last_log


# ---- an answer from another process is not the app's -----------------------------------------------


def test_a_health_check_another_process_answers_fails_the_start(tmp_path: Path) -> None:
    other = DemoService(port=free_port(), run_dir=tmp_path / "other")
    other.start_directly()
    app = DemoService(port=free_port(), run_dir=tmp_path / "run")
    try:
        ssm = {**app.ssm, "LinuxStartCommand": "sleep 30", "HealthUrl": f"http://127.0.0.1:{other.port}/health"}
        run = run_hook("start_app_and_verify", ssm, tmp_path)
        assert run.status == 1
        assert run.last_log.endswith(
            "FAILED: the health check passes while demo-app is not running (HTTP 200): another process answers "
            f"it; stop that process, or let the hooks start the app (no process recorded in {app.pid_file})"
        )
        assert app.pid() is None  # nothing was started
    finally:
        other.kill()


def test_a_curlrc_cannot_make_the_health_check_follow_a_redirect(service: DemoService, tmp_path: Path) -> None:
    target = free_port()
    with redirect_server(service.port, f"http://127.0.0.1:{target}/final"), redirect_server(target, None):
        home = tmp_path / "home"
        home.mkdir()
        (home / ".curlrc").write_text("location\n")
        script = tmp_path / "start.sh"
        script.write_text(HookScript.from_file("linux/start_app_and_verify.sh").text + "\n")
        env = hook_env(health(service, LinuxStartCommand="sleep 30", StartTimeoutSeconds="1"), tmp_path)
        env.update({"HOME": str(home), "CURL_HOME": str(home)})
        result = subprocess.run(
            ["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 1
    assert result.stdout.rstrip().endswith("FAILED: demo-app did not become healthy within 1s; last response: HTTP 302")


@contextmanager
def redirect_server(port: int, location: str | None) -> Iterator[None]:
    """Answers 302 to ``location``, or 200 when it is None."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302 if location else 200)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *values: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


# ---- a cancelled hook ----------------------------------------------------------------------------------


def test_a_hook_ended_by_sigterm_says_so(tmp_path: Path) -> None:
    service = DemoService(port=free_port(), run_dir=tmp_path / "run", flags="--ignore-sigterm")
    try:
        service.start_directly()
        script = tmp_path / "stop.sh"
        script.write_text(HookScript.from_file("linux/stop_app_gracefully.sh").text + "\n")
        env = hook_env({**service.ssm, "StopTimeoutSeconds": "30"}, tmp_path)
        hook = subprocess.Popen(["bash", str(script)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
        assert wait_for(lambda: (service.run_dir / "demo-app.lock").exists(), 10)
        time.sleep(1)
        hook.send_signal(signal.SIGTERM)
        output, _ = hook.communicate(timeout=20)
        assert hook.returncode == 1
        assert output.rstrip().endswith(
            "FAILED: stopped by a signal (the command was cancelled or its step timeout passed)"
        )
        assert service.running()
    finally:
        service.kill()


# ---- the run folder --------------------------------------------------------------------------------


def test_the_run_folder_is_created_private(service: DemoService, tmp_path: Path) -> None:
    run = run_hook("start_app_and_verify", health(service), tmp_path)
    assert run.status == 0, run.stdout
    assert service.run_dir.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in service.run_dir.iterdir()) == ["demo-app.lock", "demo-app.log", "demo-app.pid"]
    assert files_outside(tmp_path, service.run_dir) == set()


def test_a_run_folder_others_may_write_is_refused(service: DemoService, tmp_path: Path) -> None:
    service.run_dir.mkdir()
    service.run_dir.chmod(0o777)
    run = run_hook("start_app_and_verify", health(service), tmp_path)
    assert run.status == 1
    assert run.last_log.endswith(f"FAILED: run folder {service.run_dir} is writable by others (mode 777); refusing it")
    assert not service.running()


def test_a_linked_run_folder_is_refused(service: DemoService, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    service.run_dir.symlink_to(elsewhere)
    run = run_hook("stop_app_gracefully", service.ssm, tmp_path)
    assert run.status == 1
    assert run.last_log.endswith(f"FAILED: run folder {service.run_dir} is not a folder (or is a link)")
    assert list(elsewhere.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the folder to another user")
def test_a_run_folder_of_another_user_is_refused(service: DemoService, tmp_path: Path) -> None:
    service.run_dir.mkdir(mode=0o700)
    os.chown(service.run_dir, pwd.getpwnam("nobody").pw_uid, -1)
    run = run_hook("stop_app_gracefully", service.ssm, tmp_path)
    assert run.status == 1
    assert re.search(
        rf"FAILED: run folder {service.run_dir} belongs to uid \d+, not to root; refusing it$", run.last_log
    )


def test_a_run_folder_that_cannot_be_made_fails_clearly(service: DemoService, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = hook_env(service.ssm, tmp_path)
    env["PATCH_HOOKS_RUN_DIR"] = str(blocker / "run")
    script = tmp_path / "stop.sh"
    script.write_text(HookScript.from_file("linux/stop_app_gracefully.sh").text + "\n")
    result = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stdout.rstrip().endswith(f"FAILED: cannot create the run folder {blocker}/run")


# ---- one run at a time ---------------------------------------------------------------------------


def test_two_concurrent_starts_launch_one_app(service: DemoService, tmp_path: Path) -> None:
    script = tmp_path / "start.sh"
    script.write_text(HookScript.from_file("linux/start_app_and_verify.sh").text + "\n")
    env = hook_env(health(service), tmp_path)
    runs = [
        subprocess.Popen(["bash", str(script)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sorted("starting demo-app" in output for output in outputs) == [False, True], outputs
    assert any("is already running and healthy" in output for output in outputs)
    assert demo_processes(service.port) == [service.pid()]


def test_a_held_lock_fails_the_run_after_a_bounded_wait(service: DemoService, tmp_path: Path) -> None:
    service.run_dir.mkdir(mode=0o700)
    lock = service.run_dir / "demo-app.lock"
    lock.write_text("start_app_and_verify pid 4242 since 2026-12-02T00:00:00Z\n")
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        run = run_hook("stop_app_gracefully", {**service.ssm, "Port": str(service.port)}, tmp_path, lock_wait=1)
    assert run.status == 1
    assert run.last_log.endswith(
        f"FAILED: another hook run for demo-app holds {lock} (start_app_and_verify pid 4242 since "
        "2026-12-02T00:00:00Z) and did not end within 1s"
    )
    assert 1 <= run.seconds < 10


def test_the_app_does_not_inherit_the_run_lock(service: DemoService, tmp_path: Path) -> None:
    assert run_hook("start_app_and_verify", health(service), tmp_path).status == 0
    # With the app running, the next hook takes the lock at once.
    run = run_hook("stop_app_gracefully", {**service.ssm, "Port": str(service.port)}, tmp_path, lock_wait=1)
    assert run.status == 0, run.stdout
    assert not port_open(service.port)


# ---- the start hook's port and health checks -------------------------------------------------------


@contextmanager
def reverse_proxy(port: int, upstream: int) -> Iterator[None]:
    """A proxy on ``port`` that relays GET /health to the app on ``upstream``, or answers 502."""

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{upstream}{self.path}", timeout=2) as answer:
                    status = answer.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 502
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *values: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def test_a_reverse_proxy_on_the_health_port_does_not_block_the_start(service: DemoService, tmp_path: Path) -> None:
    proxy_port = free_port()
    with reverse_proxy(proxy_port, service.port):
        ssm = {**service.ssm, "Port": str(service.port), "HealthUrl": f"http://127.0.0.1:{proxy_port}/health"}
        run = run_hook("start_app_and_verify", ssm, tmp_path)
    assert run.status == 0, run.stdout
    assert re.search(r"demo-app is healthy after \d+ s \(process \d+ is alive; HTTP 200\)$", run.last_log)
    assert service.running()


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://app.internal/health",
        "http://127.0.0.1@169.254.169.254/",
        "file:///etc/shadow",
    ],
)
def test_a_health_url_off_this_instance_is_refused_before_anything_runs(
    service: DemoService, tmp_path: Path, url: str
) -> None:
    run = run_hook("start_app_and_verify", {**service.ssm, "HealthUrl": url}, tmp_path)
    assert run.status == 1
    assert run.last_log.endswith(
        f"FAILED: HealthUrl must be an http(s) URL on a loopback address (127.0.0.1, localhost or [::1]); got '{url}'"
    )
    assert not service.running()


def test_the_response_body_is_never_logged(tmp_path: Path) -> None:
    service = DemoService(port=free_port(), run_dir=tmp_path / "run", flags="--unhealthy")
    try:
        run = run_hook(
            "start_app_and_verify", health(service, StartTimeoutSeconds="1", HealthIntervalSeconds="1"), tmp_path
        )
        assert run.status == 1
        assert "database unreachable" not in run.stdout  # the body the demo answers with
        assert run.last_log.endswith("FAILED: demo-app did not become healthy within 1s; last response: HTTP 500")
    finally:
        service.kill()


def test_an_expected_status_other_than_200_is_what_counts(tmp_path: Path) -> None:
    service = DemoService(port=free_port(), run_dir=tmp_path / "run", flags="--unhealthy")
    try:
        run = run_hook("start_app_and_verify", health(service, ExpectedStatus="500"), tmp_path)
        assert run.status == 0, run.stdout
        assert re.search(r"demo-app is healthy after \d+ s \(process \d+ is alive; HTTP 500\)$", run.last_log)
    finally:
        service.kill()


def test_a_200_is_not_healthy_when_another_status_is_expected(service: DemoService, tmp_path: Path) -> None:
    run = run_hook(
        "start_app_and_verify",
        health(service, ExpectedStatus="204", StartTimeoutSeconds="1", HealthIntervalSeconds="1"),
        tmp_path,
    )
    assert run.status == 1
    assert run.last_log.endswith("FAILED: demo-app did not become healthy within 1s; last response: HTTP 200")


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate for the https test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=demo",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_an_https_health_url_is_checked(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    service = DemoService(port=free_port(), run_dir=tmp_path / "run", flags=f"--tls-cert {cert} --tls-key {key}")
    try:
        https = run_hook(
            "start_app_and_verify", {**service.ssm, "HealthUrl": f"https://127.0.0.1:{service.port}/health"}, tmp_path
        )
        assert https.status == 0, https.stdout
        assert re.search(r"is healthy after \d+ s \(process \d+ is alive; HTTP 200\)$", https.last_log)
        # Negative control: plain http to the TLS port gets no healthy answer.
        plain = run_hook(
            "start_app_and_verify",
            {
                **service.ssm,
                "HealthUrl": f"http://127.0.0.1:{service.port}/health",
                "StartTimeoutSeconds": "1",
                "HealthIntervalSeconds": "1",
            },
            tmp_path,
        )
        assert plain.status == 1
        assert "FAILED: demo-app did not become healthy within 1s; last response:" in plain.last_log
    finally:
        service.kill()


def test_running_but_not_healthy_yet_waits_without_restarting(tmp_path: Path) -> None:
    service = DemoService(port=free_port(), run_dir=tmp_path / "run", flags="--health-delay 1.5")
    try:
        service.start_directly()
        pid = service.pid()
        run = run_hook("start_app_and_verify", health(service), tmp_path)
        assert run.status == 0, run.stdout
        assert f"demo-app is running but not healthy yet (process {pid} is alive; HTTP 503); waiting" in run.stdout
        assert run.last_log.endswith(f"(process {pid} is alive; HTTP 200)")
        assert "starting demo-app" not in run.stdout
        assert service.pid() == pid
    finally:
        service.kill()


# ---- no value is ever run as shell code --------------------------------------------------------------


def test_a_command_value_is_never_run_by_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = f"echo $(touch {marker}) ; touch {marker} | touch {marker}"
    run = run_hook("update_app", {"LinuxServiceName": "demo-app", "LinuxUpdateCommand": hostile}, tmp_path)
    assert run.status == 0, run.stdout
    assert not marker.exists()


def test_a_start_command_is_never_run_by_a_shell(service: DemoService, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    ssm = health(service, LinuxStartCommand=f"true;touch {marker}", StartTimeoutSeconds="2", HealthIntervalSeconds="1")
    run = run_hook("start_app_and_verify", ssm, tmp_path)
    assert run.status == 1
    assert "FAILED: demo-app " in run.last_log  # the program "true;touch" does not exist
    assert not marker.exists()


# ---- RunAs -------------------------------------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to start the app as another user")
@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="needs a system python that 'nobody' may run")
def test_run_as_starts_the_app_as_that_user(tmp_path: Path) -> None:
    port = free_port()
    service = DemoService(port=port, run_dir=tmp_path / "run")
    command = (
        f"/usr/bin/python3 {Path(__file__).resolve().parents[2] / 'examples' / 'demo' / 'service.py'} --port {port}"
    )
    try:
        run = run_hook("start_app_and_verify", health(service, LinuxStartCommand=command, RunAs="nobody"), tmp_path)
        assert run.status == 0, run.stdout
        pid = service.pid()
        assert pid is not None
        uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
        assert uids is not None
        assert {int(uids[1]), int(uids[2])} == {pwd.getpwnam("nobody").pw_uid}
        assert wait_for(lambda: port_open(port), 5)
    finally:
        service.kill()


def test_run_as_an_unknown_user_fails_before_starting(service: DemoService, tmp_path: Path) -> None:
    run = run_hook("start_app_and_verify", health(service, RunAs="ghost-user"), tmp_path)
    assert run.status == 1
    assert run.last_log.endswith("FAILED: RunAs user ghost-user does not exist on this instance")
    assert not service.running()


def test_the_apps_log_starts_again_past_10_mb(service: DemoService, tmp_path: Path) -> None:
    # The run folder is memory: the app's log can't grow without bound there.
    service.run_dir.mkdir(mode=0o700)
    log = service.run_dir / "demo-app.log"
    log.write_bytes(b"x" * (10 * 1024 * 1024 + 1))
    run = run_hook("start_app_and_verify", health(service), tmp_path)
    assert run.status == 0, run.stdout
    assert (service.run_dir / "demo-app.log.1").stat().st_size == 10 * 1024 * 1024 + 1
    assert log.stat().st_size < 1024
