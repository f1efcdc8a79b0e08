"""A real Azurite for end-to-end tests: HTTPS with a self-signed certificate and `--oauth basic`, so the storage
SDKs authenticate with bearer tokens exactly as they do against Azure (migration.md §6).

- `find_azurite()` looks in `$MI_MIGRATE_AZURITE`, on PATH, then in `./node_modules/.bin` (the repository's and the
  working directory's). `require_azurite()` skips the test when it is missing, except under CI (`CI=true`), where
  a missing emulator is a failure: CI installs it (`.ci/run`), so it must never skip silently.
- `self_signed_cert()` writes cert.pem/key.pem for 127.0.0.1 (subjectAltName IP:127.0.0.1, which Azurite and the
  SDKs' TLS check need), with the `cryptography` package when installed, else the `openssl` CLI.
- `running_azurite()` starts blob, queue and table services on free ports in a temporary directory (in-memory,
  no telemetry), waits until they listen and stops the process at the end.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ACCOUNT = "devstoreaccount1"  # Azurite's built-in account
REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT = 30.0


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def find_azurite() -> str | None:
    """The azurite executable: $MI_MIGRATE_AZURITE, PATH, or a node_modules/.bin next to the repo or the cwd."""
    configured = os.environ.get("MI_MIGRATE_AZURITE")
    if configured:
        found = shutil.which(configured)
        return found or (configured if Path(configured).is_file() else None)
    found = shutil.which("azurite")
    if found:
        return found
    for base in (REPO, Path.cwd()):
        candidate = base / "node_modules" / ".bin" / "azurite"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def require_azurite() -> str:
    """The azurite executable, or skip (locally) / fail (CI=true) with how to get it."""
    found = find_azurite()
    if found:
        return found
    reason = ("azurite not found: `npm install --no-save azurite@3.35.0` and put node_modules/.bin on PATH, "
              "or set MI_MIGRATE_AZURITE to the executable")
    if configured := os.environ.get("MI_MIGRATE_AZURITE"):
        reason = f"MI_MIGRATE_AZURITE={configured} is not an executable"
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the end-to-end test must not be skipped)", pytrace=False)
    pytest.skip(reason)


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """(cert.pem, key.pem) for 127.0.0.1, valid for a day."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        _cert_with_cryptography(cert, key)
    except ImportError:
        _cert_with_openssl(cert, key)
    return cert, key


def _cert_with_cryptography(cert_path: Path, key_path: Path) -> None:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _cert_with_openssl(cert_path: Path, key_path: Path) -> None:
    openssl = shutil.which("openssl")
    if not openssl:
        raise RuntimeError("neither the cryptography package nor the openssl CLI is available to make a cert")
    subprocess.run(
        [openssl, "req", "-newkey", "rsa:2048", "-x509", "-nodes", "-sha256", "-days", "1",
         "-keyout", str(key_path), "-out", str(cert_path),
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Azurite:
    blob_port: int
    queue_port: int
    table_port: int
    cert: Path  # the CA the clients must trust (connection_verify=)
    debug_log: Path
    process: subprocess.Popen[bytes]

    @property
    def blob_url(self) -> str:
        return f"https://127.0.0.1:{self.blob_port}/{ACCOUNT}"

    @property
    def queue_url(self) -> str:
        return f"https://127.0.0.1:{self.queue_port}/{ACCOUNT}"

    def debug_text(self) -> str:
        try:
            return self.debug_log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


@contextlib.contextmanager
def running_azurite(directory: Path, executable: str | None = None) -> Iterator[Azurite]:
    """Azurite (blob, queue, table) over HTTPS with `--oauth basic` on free ports, data in memory."""
    executable = executable or require_azurite()
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = self_signed_cert(directory)
    ports = [free_port(), free_port(), free_port()]
    debug_log = directory / "azurite-debug.log"
    output = directory / "azurite.out"
    command = [
        executable, "--oauth", "basic", "--cert", str(cert), "--key", str(key),
        "--disableTelemetry", "--inMemoryPersistence", "--skipApiVersionCheck", "--silent",
        "--debug", str(debug_log),
        "--blobHost", "127.0.0.1", "--blobPort", str(ports[0]),
        "--queueHost", "127.0.0.1", "--queuePort", str(ports[1]),
        "--tableHost", "127.0.0.1", "--tablePort", str(ports[2]),
    ]
    with output.open("wb") as out:
        process = subprocess.Popen(command, cwd=directory, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    azurite = Azurite(*ports, cert=cert, debug_log=debug_log, process=process)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not all(_listening(p) for p in ports[:2]):
            if process.poll() is not None or time.monotonic() > deadline:
                text = output.read_text(encoding="utf-8", errors="replace")[-4000:]
                state = f"exited with {process.returncode}" if process.returncode is not None else "timed out"
                raise RuntimeError(f"azurite {state} before listening on {ports[:2]}:\n{text}")
            time.sleep(0.1)
        yield azurite
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
