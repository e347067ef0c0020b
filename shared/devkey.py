"""The development SECRET_KEY: random, made on first use, kept in the data directory.

A local run (DEBUG=1, SECRET_KEY unset) signs sessions and tokens with it, so no
key that anyone can read in the repository ever signs a token.
"""

import ipaddress
import os
import secrets
from pathlib import Path

# Once the default; public in the repository: accepted only by a DEBUG run on loopback.
PUBLIC_DEVELOPMENT_KEY = "insecure-local-development-key-do-not-use-in-production"


def kept_key(data_dir, name, make):
    """The key in DATA_DIR/`name`, made by `make()` on first use (mode 600); of two
    processes making it at once, the first one's is kept and both return it."""
    path = Path(data_dir) / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(key + "\n")
    return key


def development_secret_key(data_dir):
    return kept_key(data_dir, "secret-key", lambda: secrets.token_urlsafe(50))


def is_loopback(host):
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def development_ticket_key(data_dir):
    """The development ticket-signing key, "1:<base64url Ed25519 private key>", made on
    first use and kept in DATA_DIR/ticket-signing-key (tickets/keys.py reads the form)."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    def make():
        raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return "1:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return kept_key(data_dir, "ticket-signing-key", make)
