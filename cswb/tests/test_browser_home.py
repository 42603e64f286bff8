"""Each role signs in with a real authenticator code and finds its waiting work on the first page.

Set CSWB_SCREENSHOTS=<folder> to keep each role's home at phone (375 px) and projector (1920 px)
width as PNG files.
"""

import os
from pathlib import Path

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cswb.tests.home_data import make_waiting_work

pytestmark = pytest.mark.browser

WIDTHS = {"phone": (375, 812), "projector": (1920, 1080)}


def _code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def waiting(role_users):
    return make_waiting_work(role_users)


@pytest.mark.parametrize("who", ["triage", "grant_staff", "reviewer", "lead", "steward", "admin"])
def test_each_role_signs_in_and_lands_on_its_work(page, role_users, waiting, settings, who,
                                                  assert_accessible):
    settings.ADMIN_REQUIRE_2FA = True
    user = role_users[who]
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/staff/sign-in/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/staff/sign-in/code/**")
    page.get_by_label("Code").fill(_code(device))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    text = " ".join(page.locator("#content-main").inner_text().split())
    missing = [expected for expected in waiting[who] if expected not in text]
    assert not missing, (who, missing)
    assert_accessible(page)
    folder = os.environ.get("CSWB_SCREENSHOTS")
    for name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{folder}/home-{who}-{name}.png", full_page=True)
        first = page.locator(".home-section").first
        assert first.is_visible()
        box = first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (who, name, box)
