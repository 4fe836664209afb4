"""A raw-socket MLLP client and `cordwatch mllp` as a child process, for the broker tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from services.gateway.mllp import FrameDecoder, frame

_CLI = "import sys; from streams.cli import main; sys.exit(main())"


def start_listener(
    bootstrap: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """`cordwatch mllp --port 0` as a child process, and the port it announced."""
    environment = {
        **os.environ,
        "CORDWATCH_KAFKA_BOOTSTRAP": bootstrap,
        "CORDWATCH_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", _CLI, "mllp", "--port", "0"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    assert line.startswith("MLLP listening on "), line
    return process, int(line.rsplit(":", 1)[1])


def stop_listener(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM and reap (SIGKILL after 10 s)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def exchange(sock: socket.socket, raw: bytes, *, timeout: float = 20.0) -> bytes | None:
    """Send one framed message; the ACK, or None if the connection closed without one."""
    sock.settimeout(timeout)
    sock.sendall(frame(raw))
    decoder = FrameDecoder(max_bytes=1 << 20)
    while True:
        data = sock.recv(65536)
        if not data:
            return None
        if frames := decoder.feed(data):
            return frames[0]


def msa(ack: bytes) -> list[str]:
    """The ACK's MSA segment as fields (MSA-1 is index 1)."""
    segment = next(s for s in ack.decode().split("\r") if s.startswith("MSA|"))
    return segment.split("|")


def control_id(raw: bytes) -> str:
    """MSH-10 of a CR-separated message."""
    return raw.split(b"\r", 1)[0].decode().split("|")[9]
