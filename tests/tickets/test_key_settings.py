"""The ticket-signing key is a secret of the deployment: production refuses to start
without one (or with a malformed one); a DEBUG run makes one in DATA_DIR and keeps it."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.servers import ROOT, process_env
from tickets.keys import KeyRing, new_key

SHOW_KEYS = "from tickets.keys import keyring; import json; print(json.dumps(keyring().published()))"


def manage(*args, **env):
    environment = process_env(extra_env=env)
    for name in [name for name, value in env.items() if value is None]:
        environment.pop(name, None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_production_refuses_to_start_without_a_ticket_signing_key():
    done = manage("check", TICKET_SIGNING_KEY=None, DEBUG="0")
    assert done.returncode != 0 and "TICKET_SIGNING_KEY is unset" in done.stderr


def test_a_malformed_key_stops_the_process_naming_the_setting():
    done = manage("check", TICKET_SIGNING_KEY="1:abc")
    assert done.returncode != 0 and "TICKET_SIGNING_KEY: '1:abc'" in done.stderr


@pytest.mark.parametrize("key", ["abc", "1:abc", "0:" + "A" * 43, "70000:" + "A" * 43, "x:" + "A" * 43, "1:" + "A" * 44])
def test_malformed_keys_are_refused_with_the_setting_named(key):
    with pytest.raises(ImproperlyConfigured) as refused:
        KeyRing(key, ())
    assert "TICKET_SIGNING_KEY" in str(refused.value)


def test_a_verify_key_given_twice_or_the_signing_keys_id_is_refused(settings):
    kid = int(settings.TICKET_SIGNING_KEY.split(":")[0])
    other = new_key(kid + 1)[1]
    for verifying in ([other, other], [new_key(kid)[1]]):
        with pytest.raises(ImproperlyConfigured) as refused:
            KeyRing(settings.TICKET_SIGNING_KEY, verifying)
        assert "TICKET_VERIFY_KEYS" in str(refused.value)


def test_the_first_key_is_made_without_settings():
    made = subprocess.run([sys.executable, "-m", "tickets.keys", "7"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0 and made.stdout.startswith("7:")
    assert KeyRing(made.stdout.strip(), ()).kid == 7


def test_a_debug_run_makes_a_key_in_the_data_directory_and_keeps_it(tmp_path):
    first = manage("shell", "-c", SHOW_KEYS, DEBUG="1", DATA_DIR=str(tmp_path), TICKET_SIGNING_KEY=None)
    assert first.returncode == 0, first.stderr
    path = tmp_path / "ticket-signing-key"
    assert path.read_text().startswith("1:") and path.stat().st_mode & 0o077 == 0
    again = manage("shell", "-c", SHOW_KEYS, DEBUG="1", DATA_DIR=str(tmp_path), TICKET_SIGNING_KEY=None)
    assert again.stdout == first.stdout and '"kid": "1"' in first.stdout
