"""The dev and test stacks' registration page (nginx/invitation-page.conf.in,
tests/nginx-static/invitation/): a person opens the link of their
invitation mail in a real browser (Debian's headless Chromium, browser.py),
fills in the form and accepts, as the testers of the seeds' stories
expected the mail's link to work (round-3 walkthroughs). The page is the
example of a front end's registration form: it posts to POST
/api/v1/invitations/{token}/accept with return_to and error_to."""
import os
import re

import pytest

import support as S
from browser import Browser

ARTIFACTS = os.environ.get("ACCOUNTD_ARTIFACTS") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build-asan", "artifacts")


@pytest.fixture
def browser():
    b = Browser()  # nobody signed in: an invited person has no user yet
    yield b
    b.close()


def link_of(mail):
    m = re.search(r"https?://\S+/invitations/\S+", mail.body)
    assert m, mail.body
    return m.group(0).rstrip(".,)")


def test_the_mails_link_opens_a_form_that_accepts(browser, api, sql, ldap_admin, make_tenant, invite,
                                                  invitation_mail):
    t = make_tenant("page")
    email = S.unique_mail("page-")
    inv = invite(t.admin, t.account.id, email, "member")
    mail, token = invitation_mail(email)
    url = link_of(mail)
    assert url.startswith(S.URL + "/invitations/"), url

    browser.goto(url)
    assert browser.status() == 200
    assert "Accept your invitation" in browser.text()

    # A too short password: back on the same page, told what is wrong,
    # with what was typed kept (not the password); nothing accepted.
    uid = S.unique("pg")
    browser.fill("#uid", uid)
    browser.fill("#password", "short")
    browser.fill("#first_name", "Paula")
    browser.submit("#accept")
    assert browser.url().startswith(url), browser.url()
    assert "8 to 128" in browser.text(), browser.text()
    assert browser.value("#uid") == uid and browser.value("#first_name") == "Paula"
    assert browser.value("#password") == ""
    browser.screenshot(os.path.join(ARTIFACTS, "invitation-page-error.png"))
    assert S.invitation_row(sql, inv["id"])["status"] == "pending"

    # Corrected: the person ends on the welcome page with their user name.
    browser.fill("#password", "page-password-1")
    browser.submit("#accept")
    assert browser.url().startswith(S.URL + "/invitation-accepted"), browser.url()
    assert browser.status() == 200
    assert f"Your user name is {uid}" in browser.text(), browser.text()
    # The stores: the person exists with the name typed, and is a member.
    row = S.invitation_row(sql, inv["id"])
    assert row["status"] == "accepted" and row["accepted_uid"] == uid
    person = S.Person(uid, "page-password-1", S.person_dn(uid), "", email)
    assert S.roles_in_ldap(ldap_admin, t.account.id, person) == {"member"}
    entry = S.ldap_entry(ldap_admin, S.person_dn(uid))
    assert entry["givenname"] == ["Paula"], entry
    S.PASSWORDS[uid] = "page-password-1"
    assert S.expect(api(uid).get("/api/v1/me"), 200)["uid"] == uid

    # The link is used up: opening it again and accepting says so.
    browser.goto(url)
    browser.fill("#password", "page-password-2")
    browser.submit("#accept")
    assert browser.url().startswith(url), browser.url()
    assert "used" in browser.text().lower(), browser.text()


def test_an_empty_user_name_is_made_from_the_address(browser, sql, make_tenant, invite, invitation_mail):
    t = make_tenant("page2")
    local = S.unique("pgmail")
    email = f"{local}@example.org"
    inv = invite(t.admin, t.account.id, email, "member")
    mail, _ = invitation_mail(email)
    browser.goto(link_of(mail))
    browser.fill("#password", "page-password-1")
    browser.submit("#accept")
    assert browser.url().startswith(S.URL + "/invitation-accepted"), browser.url()
    row = S.invitation_row(sql, inv["id"])
    assert row["status"] == "accepted" and row["accepted_uid"].startswith(local.lower())
    assert f"Your user name is {row['accepted_uid']}" in browser.text()
