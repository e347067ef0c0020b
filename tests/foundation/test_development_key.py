"""`make run` never signs tokens with a key that is public in the repository."""

import httpx
import jwt
import pytest

from tests.helpers import PASSWORD
from tests.servers import DaphneServer

PUBLIC_KEY = "insecure-local-development-key-do-not-use-in-production"


def make_run_style(data_dir, **env):
    """A daphne started as `make run` starts it: DEBUG=1, no SECRET_KEY, no JWT_SIGNING_KEY."""
    server = DaphneServer(extra_env={"DEBUG": "1", "DATA_DIR": str(data_dir)})
    server.env.pop("SECRET_KEY", None)
    server.env.pop("JWT_SIGNING_KEY", None)
    server.env.update(env)
    return server


def access_token(server, email):
    body = {"name": "Dev", "email": email, "password": PASSWORD, "role": "ORGANIZER"}
    assert httpx.post(f"{server.url}/register", json=body).status_code == 201
    response = httpx.post(f"{server.url}/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    return response.json()["access"]


def test_a_make_run_server_signs_with_a_random_key_kept_in_the_data_directory(tmp_path):
    server = make_run_style(tmp_path).start()
    try:
        token = access_token(server, "dev@example.com")
    finally:
        server.stop()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, PUBLIC_KEY, algorithms=["HS256"])
    key = (tmp_path / "secret-key").read_text().strip()
    assert len(key) >= 50 and (tmp_path / "secret-key").stat().st_mode & 0o077 == 0
    assert jwt.decode(token, key, algorithms=["HS256"])["token_type"] == "access"

    # The next start uses the same key: tokens survive a restart.
    again = make_run_style(tmp_path).start()
    try:
        assert httpx.get(f"{again.url}/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        again.stop()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
def test_the_public_key_is_refused_when_the_server_listens_beyond_loopback(tmp_path, host):
    server = make_run_style(tmp_path, HOST=host, SECRET_KEY=PUBLIC_KEY)
    with pytest.raises(RuntimeError) as refused:
        server.start(timeout=60)
    assert "public" in str(refused.value) and "SECRET_KEY" in str(refused.value)

    signing = make_run_style(tmp_path, HOST=host, JWT_SIGNING_KEY=PUBLIC_KEY)
    with pytest.raises(RuntimeError):
        signing.start(timeout=60)


def test_the_public_key_still_serves_a_loopback_debug_run(tmp_path):
    server = make_run_style(tmp_path, HOST="127.0.0.1", SECRET_KEY=PUBLIC_KEY).start()
    server.stop()
