from auditlog.models import LogEntry


def test_it_sends_a_strict_content_security_policy(client, db):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_it_sends_the_other_protective_headers(client, db):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_pages_carry_no_inline_script_or_style(client, db):
    for url in ["/", "/privacy/", "/accessibility/", "/contact/", "/staff/sign-in/"]:
        html = client.get(url).content.decode()
        assert "<script>" not in html and "style=" not in html and "<style" not in html


def test_a_change_in_the_admin_is_audited_from_what_to_what(client, cswb_admin, outsider_user):
    client.force_login(cswb_admin)
    url = f"/admin/accounts/user/{outsider_user.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "email": "otto.new@example.org",
            "groups": [],
            "user_permissions": [],
            "date_joined_0": outsider_user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": outsider_user.date_joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = LogEntry.objects.get_for_object(outsider_user).latest("timestamp")
    assert entry.actor == cswb_admin
    assert entry.changes_dict["email"] == ["otto-outsider@example.org", "otto.new@example.org"]
    history = client.get(f"/admin/accounts/user/{outsider_user.pk}/auditlog/")
    assert "otto.new@example.org" in history.content.decode()
    search = client.get("/admin/auditlog/logentry/", {"q": "otto"})
    assert search.status_code == 200


def test_it_refuses_an_oversized_request_before_reading_it(client, db, settings):
    settings.MAX_REQUEST_BYTES = 1024
    response = client.post("/issues/new/", {"description": "x" * 5000})
    assert response.status_code == 413
    assert "What you sent is too large" in response.content.decode()
