import time
import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from shared.mongo import collection
from tests.helpers import PASSWORD, token_for


def register(api, **overrides):
    body = {"name": "Ada Lovelace", "email": "ada@example.com", "password": PASSWORD, "role": "CUSTOMER"}
    body.update(overrides)
    return api.post("/register", body, format="json")


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def test_register_returns_the_user_without_the_password(project_hashers, api):
    response = register(api, email="Ada@Example.com", role="ORGANIZER")
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert body["role"] == "ORGANIZER" and body["name"] == "Ada Lovelace"
    assert "password" not in body and PASSWORD not in response.content.decode()
    stored = User.objects.get(email="ada@example.com")
    assert stored.password.startswith("argon2$")
    assert stored.check_password(PASSWORD)


def test_duplicate_email_is_409_whatever_the_case(api):
    assert register(api).status_code == 201
    assert_error(register(api, email="ADA@example.COM"), 409, "email_taken")
    assert collection("users").count_documents({"email": "ada@example.com"}) == 1


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"role": "ADMIN"}, "role"),
        ({"password": "123"}, "password"),
        ({"password": "password"}, "password"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"nickname": "x"}, "nickname"),
    ],
)
def test_bad_registration_is_400_naming_the_field(api, overrides, field):
    error = assert_error(register(api, **overrides), 400, "validation_error")
    assert field in error["fields"]
    assert not User.objects.filter(email="ada@example.com").exists()


def test_missing_fields_are_each_named(api):
    error = assert_error(api.post("/register", {}, format="json"), 400, "validation_error")
    assert set(error["fields"]) == {"name", "email", "password", "role"}


def test_malformed_json_is_400(api):
    response = api.post("/register", data="{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_login_returns_tokens_carrying_id_and_role(api):
    user_id = register(api, role="ORGANIZER").json()["id"]
    response = api.post("/login", {"email": "ADA@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    access = AccessToken(body["access"])
    assert access["user_id"] == user_id and access["role"] == "ORGANIZER"
    assert body["user"]["id"] == user_id


def test_wrong_password_and_unknown_email_get_the_same_401(api):
    register(api)
    wrong = assert_error(api.post("/login", {"email": "ada@example.com", "password": "nope"}, format="json"), 401, "invalid_credentials")
    unknown = assert_error(api.post("/login", {"email": "bob@example.com", "password": PASSWORD}, format="json"), 401, "invalid_credentials")
    assert wrong == unknown


def test_login_is_throttled_per_email_from_one_address(api):
    register(api)
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login_email_address"].split("/")[0])
    for _ in range(rate):
        api.post("/login", {"email": "ada@example.com", "password": "wrong"}, format="json")
    response = api.post("/login", {"email": "ada@example.com", "password": PASSWORD}, format="json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    # Another account from the same address is not locked out by this one.
    register(api, email="bob@example.com")
    assert api.post("/login", {"email": "bob@example.com", "password": PASSWORD}, format="json").status_code == 200


def test_login_is_throttled_per_address(api):
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login_address"].split("/")[0])
    for i in range(rate):
        api.post("/login", {"email": f"user{i}@example.com", "password": "wrong"}, format="json")
    response = api.post("/login", {"email": "fresh@example.com", "password": "wrong"}, format="json")
    assert_error(response, 429, "throttled")
    # A different address is not affected.
    other = api.post("/login", {"email": "fresh@example.com", "password": "wrong"}, format="json", REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 401


def test_refresh_gives_a_new_access_token(api):
    register(api)
    tokens = api.post("/login", {"email": "ada@example.com", "password": PASSWORD}, format="json").json()
    response = api.post("/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["role"] == "CUSTOMER"


def test_refresh_with_an_access_token_or_garbage_is_401(api):
    register(api)
    tokens = api.post("/login", {"email": "ada@example.com", "password": PASSWORD}, format="json").json()
    assert_error(api.post("/token/refresh", {"refresh": tokens["access"]}, format="json"), 401, "token_not_valid")
    assert_error(api.post("/token/refresh", {"refresh": "abc.def.ghi"}, format="json"), 401, "token_not_valid")


def _forge(payload):
    return jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


def test_protected_route_rejects_missing_malformed_tampered_and_expired_tokens(api, customer):
    good = token_for(customer)
    header, payload, signature = good.split(".")
    tampered = ".".join([header, payload, signature[:-4] + ("AAAA" if not signature.endswith("AAAA") else "BBBB")])
    now = int(time.time())
    expired = _forge({"token_type": "access", "exp": now - 10, "iat": now - 100, "jti": "x", "user_id": str(customer.pk), "role": "CUSTOMER"})
    wrong_key = jwt.encode({"token_type": "access", "exp": now + 60, "jti": "y", "user_id": str(customer.pk)}, "another-signing-key-of-a-decent-length-0123456789", algorithm="HS256")
    path = "/me"
    assert_error(api.get(path), 401, "not_authenticated")
    for bad in ["garbage", tampered, wrong_key]:
        assert_error(api.get(path, HTTP_AUTHORIZATION=f"Bearer {bad}"), 401, "token_not_valid")
    assert_error(api.get(path, HTTP_AUTHORIZATION=f"Bearer {expired}"), 401, "token_expired")
    assert api.get(path, HTTP_AUTHORIZATION="Basic abc").status_code == 401


def test_an_expired_token_says_so_and_a_forged_expired_one_does_not(api, customer):
    """token_expired means "refresh"; token_not_valid means "log in again"."""
    now = int(time.time())
    claims = {"token_type": "access", "exp": now - 10, "iat": now - 100, "jti": "x", "user_id": str(customer.pk), "role": "CUSTOMER"}
    for path in ("/me", "/events"):  # a route that needs a token, and one where it is optional
        error = assert_error(api.get(path, HTTP_AUTHORIZATION=f"Bearer {_forge(claims)}"), 401, "token_expired")
        assert "POST /token/refresh" in error["message"]
        forged = jwt.encode(claims, "another-signing-key-of-a-decent-length-0123456789", algorithm="HS256")
        assert_error(api.get(path, HTTP_AUTHORIZATION=f"Bearer {forged}"), 401, "token_not_valid")
    refresh = _forge({**claims, "token_type": "refresh"})
    error = assert_error(api.post("/token/refresh", {"refresh": refresh}, format="json"), 401, "token_expired")
    assert "log in again" in error["message"]


def test_a_token_without_the_bearer_scheme_is_told_how_to_send_it(api, customer):
    token = token_for(customer)
    for path in ("/me", "/events"):
        error = assert_error(api.get(path, HTTP_AUTHORIZATION=token), 401, "bad_authorization_header")
        assert "Authorization: Bearer <token>" in error["message"]
    assert api.get("/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_a_refusal_by_role_names_the_role_needed(api, customer, organizer):
    error = assert_error(api.get("/events/me", HTTP_AUTHORIZATION=f"Bearer {token_for(customer)}"), 403, "permission_denied")
    assert error["required_roles"] == ["ORGANIZER"] and "organizer" in error["message"]
    response = api.post("/bookings", {"eventId": "EVT-0001", "qty": 1}, format="json", HTTP_AUTHORIZATION=f"Bearer {token_for(organizer)}")
    error = assert_error(response, 403, "permission_denied")
    assert error["required_roles"] == ["CUSTOMER"] and "customer" in error["message"]


def test_an_unknown_role_lists_the_valid_ones(api):
    error = assert_error(register(api, role="customer"), 400, "validation_error")
    assert error["fields"]["role"] == ['"customer" is not a role: give ORGANIZER or CUSTOMER.']


def test_me_answers_with_the_token_owner(api, customer):
    response = api.get("/me", HTTP_AUTHORIZATION=f"Bearer {token_for(customer)}")
    assert response.status_code == 200
    assert response.json()["id"] == str(customer.pk) and response.json()["role"] == "CUSTOMER"


def test_unknown_route_and_method_use_the_error_shape(api):
    assert_error(api.get("/no-such-route"), 404, "not_found")
    assert_error(api.get("/register"), 405, "method_not_allowed")


def test_health_reports_database_and_redis(api):
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["redis"] in ("ok", "not configured")
