"""Project invitations (seed 003, STACKIT method 2; docs/api.md
"Projects"): the partner invites an end customer's people by e-mail into
one project of its own organization. A person of the caller's tenant tree
is added at once; anyone else (unknown, or known outside the tree) gets an
invitation mail, and accepting it gives a role in that project and nothing
else of the account. PUT .../members/{uid} also takes people of the
caller's tree; a stranger's uid is 404 like an unknown one."""
import datetime

import support as S

ACCOUNTS = "/api/v1/accounts"
PASSWORD = "pw-project-invite-1"


def inv_path(pid):
    return f"/api/v1/projects/{pid}/invitations"


def member_path(pid, uid):
    return f"/api/v1/projects/{pid}/members/{S.path_quote(uid)}"


def new_project(api, t, name=None):
    r = api(t.admin).post(f"{ACCOUNTS}/{t.account.id}/projects", json={"name": name or S.unique("P ")})
    return S.expect(r, 201)


def wait_sees(session, path, status=200):
    r = S.poll(lambda: session.get(path), lambda r: r.status_code == status, 5)
    assert r.status_code == status, S.describe(r)
    return r


def roles_everywhere(ldap_admin, account_id, projects, dn):
    """{project id: roles} of dn in the given projects, and its account roles."""
    dn = S.norm_dn(dn)
    got = {}
    for pid in projects:
        got[pid] = {r for r in ("owner", "editor", "reader")
                    if dn in S.project_members(ldap_admin, account_id, pid, r)}
    account = {r for r in ("admin", "service-provider", "billing", "member")
               if dn in S.group_members(ldap_admin, account_id, r)}
    return got, account


def outbox_to(sql, mail, after):
    return [(r["template"], r["status"]) for r in S.wait_outbox_settled(sql, recipient=mail, after_id=after)]


def test_unknown_address_joins_one_project_only(api, sql, ldap_admin, make_tenant, invitation_mail):
    t = make_tenant("pi")
    s = api(t.admin)
    a = new_project(api, t, "Kunde A")
    b = new_project(api, t, "Kunde B")
    email = S.unique_mail("pi-")
    before = S.outbox_max_id(sql)
    r = s.post(inv_path(a["id"]), json={"email": email, "role": "reader", "first_name": "Rita",
                                         "last_name": "Reader"})
    body = S.expect(r, 202)
    assert set(body) == {"status", "id", "email", "role", "project_id", "expires_at"}, body
    assert (body["status"], body["email"], body["role"], body["project_id"]) == \
        ("invited", email, "reader", a["id"])
    assert body["id"].isdigit()
    expires = datetime.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert expires > datetime.datetime.now(datetime.timezone.utc)
    row = S.invitation_row(sql, body["id"])
    assert (row["purpose"], row["project_id"], row["role"], row["status"], row["invited_by"]) == \
        ("project", int(a["id"]), "reader", "pending", t.admin.uid)

    # One mail with the link, naming the project and the account.
    mail, token = invitation_mail(email, after=before)
    assert "Kunde A" in mail.subject and t.account.name in mail.subject, mail.subject
    assert "Kunde A" in mail.body and "reader" in mail.body, mail.body
    assert outbox_to(sql, email, before) == [("invitation", "sent")]

    # The account's admins list it, with its project.
    items = S.expect(s.get(f"{ACCOUNTS}/{t.account.id}/invitations"), 200)["items"]
    mine = [i for i in items if i["id"] == body["id"]]
    assert len(mine) == 1 and mine[0]["project_id"] == a["id"] and mine[0]["role"] == "reader", items

    # Accepting creates the person, with the project role only.
    uid = S.unique("pin")
    data = S.expect(S.accept_invitation(api, token, uid=uid, password=PASSWORD), 200)
    assert data == {"uid": uid, "account_id": t.account.id, "role": "reader", "created": True,
                    "project_id": a["id"]}, data
    projects, account = roles_everywhere(ldap_admin, t.account.id, [a["id"], b["id"]], S.person_dn(uid))
    assert projects == {a["id"]: {"reader"}, b["id"]: set()} and account == set()
    assert S.invitation_row(sql, body["id"])["status"] == "accepted"
    accepts = [x for x in sql.audit(t.account.id) if x["action"] == "invitation.accept"]
    assert len(accepts) == 1 and accepts[0]["new_value"]["project_id"] == int(a["id"]), accepts
    assert accepts[0]["new_value"]["role"] == "reader" and accepts[0]["uid"] == uid
    assert [x for x in sql.audit(t.account.id) if x["action"] == "invitation.create"]
    S.expect_problem(S.accept_invitation(api, token, password=PASSWORD), 410, "invitation-used")

    # They see project A, and nothing else of the account.
    p = api(uid, password=PASSWORD)
    items = wait_sees(p, f"{ACCOUNTS}/{t.account.id}/projects").json()["items"]
    assert [(i["id"], i["roles"]) for i in items] == [(a["id"], ["reader"])]
    me = S.expect(p.get("/api/v1/me"), 200)
    assert me["accounts"] == []
    assert [(x["id"], x["name"], x["roles"]) for x in me["projects"]] == [(a["id"], "Kunde A", ["reader"])]
    # Whose project it is, though the account itself is 404 to them
    # (round-3 walkthrough of seed 003).
    assert me["projects"][0]["account_name"] == t.account.name
    assert items[0]["account_name"] == t.account.name
    got = S.expect(p.get(f"/api/v1/projects/{a['id']}"), 200)
    assert got["roles"] == ["reader"] and got["account_name"] == t.account.name
    S.expect_problem(p.get(f"/api/v1/projects/{b['id']}"), 404)
    for path in (f"{ACCOUNTS}/{t.account.id}", f"{ACCOUNTS}/{t.account.id}/members",
                 f"{ACCOUNTS}/{t.account.id}/invitations"):
        S.expect_problem(p.get(path), 404)
    # A reader does not invite.
    S.expect_problem(p.post(inv_path(a["id"]), json={"email": S.unique_mail(), "role": "reader"}), 403)
    S.expect_problem(p.put(member_path(a["id"], t.admin.uid), json={"role": "reader"}), 403)


def test_person_of_the_tree_is_added_at_once(api, sql, ldap_admin, make_tenant, make_account, make_person,
                                             set_roles, mailbox):
    t = make_tenant("pt")
    s = api(t.admin)
    a = new_project(api, t, "Kunde T")
    child = make_account(t.admin, "customer", t.account.id)
    g = make_person(prefix="ptg")
    set_roles(t.admin, child.id, g, ["member"])
    before = S.outbox_max_id(sql)
    body = S.expect(s.post(inv_path(a["id"]), json={"email": g.mail, "role": "editor"}), 201)
    assert body == {"status": "added", "uid": g.uid, "role": "editor", "project_id": a["id"]}, body
    projects, account = roles_everywhere(ldap_admin, t.account.id, [a["id"]], g.dn)
    assert projects == {a["id"]: {"editor"}} and account == set()
    # Told so; no invitation, no invitation row.
    assert outbox_to(sql, g.mail, before) == [("added-to-account", "sent")]
    mails = mailbox.wait_for(to=g.mail, predicate=lambda m: (m.outbox_id or 0) > before)
    assert "Kunde T" in mails[-1].body, mails[-1].body
    assert not sql.rows("SELECT id FROM invitations WHERE email=%s", g.mail)
    sets = [x for x in sql.audit(t.account.id) if x["action"] == "project.member.set"
            and x["new_value"]["uid"] == g.uid]
    assert len(sets) == 1 and sets[0]["new_value"]["roles"] == ["editor"], sets
    # Again: the same answer, no second mail or audit row.
    again = S.outbox_max_id(sql)
    assert S.expect(s.post(inv_path(a["id"]), json={"email": g.mail, "role": "editor"}), 201) == body
    assert S.outbox_rows(sql, recipient=g.mail, after_id=again) == []
    assert len([x for x in sql.audit(t.account.id) if x["action"] == "project.member.set"
                and x["new_value"]["uid"] == g.uid]) == 1
    # They see the project (and the child account where they are a member).
    me = S.poll(lambda: api(g).get("/api/v1/me"), lambda r: r.status_code == 200 and r.json()["projects"],
                5).json()
    assert [(x["id"], x["roles"]) for x in me["projects"]] == [(a["id"], ["editor"])]

    # PUT by uid: a person of the tree works too.
    h = make_person(prefix="pth")
    set_roles(t.admin, child.id, h, ["billing"])
    got = S.expect(s.put(member_path(a["id"], h.uid), json={"role": "reader"}), 200)
    assert got["roles"] == ["reader"] and got["project_id"] == a["id"]
    assert S.norm_dn(h.dn) in S.project_members(ldap_admin, t.account.id, a["id"], "reader")
    # A person who is only in a project of the tree counts as in it.
    q = make_person(prefix="ptq")
    S.expect(s.put(member_path(a["id"], q.uid), json={"role": "reader"}), 404)
    b = new_project(api, t, "Kunde U")
    inv = S.expect(s.post(inv_path(a["id"]), json={"email": q.mail, "role": "reader"}), 202)
    token = S.invitation_token(mailbox.wait_for(to=q.mail)[-1])
    assert S.expect(S.accept_invitation(api, token), 200)["created"] is False
    assert S.invitation_row(sql, inv["id"])["status"] == "accepted"
    S.expect(s.put(member_path(b["id"], q.uid), json={"role": "editor"}), 200)
    # (an editor invited as reader: editor covers it, nothing changes;
    # round-23 walkthrough of seed 003, D1)
    got = S.expect(s.post(inv_path(b["id"]), json={"email": q.mail, "role": "reader"}), 201)
    assert "already an editor of" in got["note"], got
    projects, account = roles_everywhere(ldap_admin, t.account.id, [a["id"], b["id"]], q.dn)
    assert projects == {a["id"]: {"reader"}, b["id"]: {"editor"}} and account == set()


def test_known_outsider_is_invited_like_an_unknown_address(api, sql, ldap_admin, make_tenant, make_person,
                                                          invitation_mail):
    t = make_tenant("po")
    s = api(t.admin)
    a = new_project(api, t, "Kunde O")
    other = make_tenant("poo")  # their admin is known to LDAP, outside t's tree
    x = other.admin
    unknown = S.unique_mail("po-")
    before = S.outbox_max_id(sql)
    r1 = s.post(inv_path(a["id"]), json={"email": x.mail, "role": "reader"})
    r2 = s.post(inv_path(a["id"]), json={"email": unknown, "role": "reader"})
    b1, b2 = S.expect(r1, 202), S.expect(r2, 202)
    assert set(b1) == set(b2) and b1["status"] == b2["status"] == "invited"
    assert set(r1.headers) - {"Date", "Content-Length", "X-Request-Id"} == \
        set(r2.headers) - {"Date", "Content-Length", "X-Request-Id"}
    # Nothing changed in LDAP for the outsider until they accept.
    projects, _ = roles_everywhere(ldap_admin, t.account.id, [a["id"]], x.dn)
    assert projects == {a["id"]: set()}
    # PUT by uid: the outsider is 404 with exactly an unknown uid's body.
    o = s.put(member_path(a["id"], x.uid), json={"role": "reader"})
    u = s.put(member_path(a["id"], "nobody-" + S.unique()), json={"role": "reader"})
    S.expect_problem(o, 404), S.expect_problem(u, 404)
    strip = lambda j: {k: v for k, v in j.items() if k != "instance"}
    assert strip(o.json()) == strip(u.json())
    assert x.mail not in o.text and x.uid not in o.text.replace(member_path(a["id"], x.uid), "")

    # Their consent: accepting adds the known person (no new one).
    mail, token = invitation_mail(x.mail, after=before)
    data = S.expect(S.accept_invitation(api, token), 200)
    assert data["uid"] == x.uid and data["created"] is False and data["project_id"] == a["id"]
    projects, account = roles_everywhere(ldap_admin, t.account.id, [a["id"]], x.dn)
    assert projects == {a["id"]: {"reader"}} and account == set()
    assert S.people_with_mail(ldap_admin, x.mail) == {x.uid}


def test_revoke_resend_and_refusals(api, sql, make_tenant, make_person, set_roles, anon, invitation_mail,
                                    mailbox):
    t = make_tenant("pr")
    s = api(t.admin)
    a = new_project(api, t, "Kunde R")
    email = S.unique_mail("pr-")
    before = S.outbox_max_id(sql)
    inv = S.expect(s.post(inv_path(a["id"]), json={"email": email, "role": "owner"}), 202)
    _, old = invitation_mail(email, after=before)
    # Inviting again renews the same invitation; resend too.
    again = S.expect(s.post(inv_path(a["id"]), json={"email": email, "role": "editor"}), 202)
    assert again["id"] == inv["id"] and again["role"] == "editor"
    mid = S.outbox_max_id(sql)
    res = S.expect(s.post(f"{ACCOUNTS}/{t.account.id}/invitations/{inv['id']}/resend"), 202)
    assert res["id"] == inv["id"]
    mail, token = invitation_mail(email, after=mid)
    assert "Kunde R" in mail.subject and "editor" in mail.body
    assert token != old
    S.expect_problem(S.accept_invitation(api, old, password=PASSWORD), 410, "invitation-replaced")
    # An account invitation of the same address is another invitation.
    acc_inv = S.expect(s.post(f"{ACCOUNTS}/{t.account.id}/invitations",
                              json={"email": email, "role": "member"}), 202)
    assert acc_inv["id"] != inv["id"] and "project_id" not in acc_inv
    listed = {i["id"]: i for i in S.expect(s.get(f"{ACCOUNTS}/{t.account.id}/invitations"), 200)["items"]}
    assert listed[inv["id"]]["project_id"] == a["id"] and listed[acc_inv["id"]]["project_id"] is None
    # Revoking by the account's route.
    S.expect(s.delete(f"{ACCOUNTS}/{t.account.id}/invitations/{inv['id']}"), 204)
    S.expect_problem(S.accept_invitation(api, token, password=PASSWORD), 410, "invitation-revoked")
    assert [x for x in sql.audit(t.account.id) if x["action"] == "invitation.revoke"]

    # Validation.
    S.expect_field_errors(s.post(inv_path(a["id"]), json={"email": email, "role": "admin"}), "role")
    S.expect_field_errors(s.post(inv_path(a["id"]), json={"email": "not-an-address", "role": "reader"}), "email")
    S.expect_field_errors(s.post(inv_path(a["id"]), json={"email": "j\u00fcrgen@example.org", "role": "reader"}),
                          "email")
    S.expect_field_errors(s.post(inv_path(a["id"]), json={"role": "reader"}), "email")
    # Who may: an account member 403, another tenant 404, anonymous 401,
    # an unknown project 404.
    m = make_person(prefix="prm")
    set_roles(t.admin, t.account.id, m, ["member"])
    S.expect_problem(api(m).post(inv_path(a["id"]), json={"email": S.unique_mail(), "role": "reader"}), 403)
    other = make_tenant("pro")
    S.expect_problem(api(other.admin).post(inv_path(a["id"]), json={"email": S.unique_mail(), "role": "reader"}),
                     404)
    S.expect_problem(anon.post(inv_path(a["id"]), json={"email": S.unique_mail(), "role": "reader"}), 401)
    S.expect_problem(s.post(inv_path("999999999"), json={"email": S.unique_mail(), "role": "reader"}), 404)
    # A project-only owner (by invitation) invites into their project.
    oe = S.unique_mail("pr-own-")
    mid = S.outbox_max_id(sql)
    S.expect(s.post(inv_path(a["id"]), json={"email": oe, "role": "owner"}), 202)
    _, token = invitation_mail(oe, after=mid)
    ouid = S.unique("prown")
    S.expect(S.accept_invitation(api, token, uid=ouid, password=PASSWORD), 200)
    o = api(ouid, password=PASSWORD)
    wait_sees(o, f"{ACCOUNTS}/{t.account.id}/projects")
    S.expect(o.post(inv_path(a["id"]), json={"email": S.unique_mail("pr-o-"), "role": "reader"}), 202)
    # ... but cannot pull another end customer's person (project-only in
    # another project of the account) into theirs by uid, nor learn their
    # mail: the same 404 as an unknown uid.
    other_project = S.expect(s.post(f"{ACCOUNTS}/{t.account.id}/projects",
                                    json={"name": S.unique("Kunde Y ")}), 201)["id"]
    ye = S.unique_mail("pr-y-")
    mid = S.outbox_max_id(sql)
    S.expect(s.post(inv_path(other_project), json={"email": ye, "role": "reader"}), 202)
    _, token = invitation_mail(ye, after=mid)
    yuid = S.unique("pry")
    S.expect(S.accept_invitation(api, token, uid=yuid, password=PASSWORD), 200)
    pulled = o.put(f"/api/v1/projects/{a['id']}/members/{yuid}", json={"role": "reader"})
    ghost = o.put(f"/api/v1/projects/{a['id']}/members/{S.unique('ghost')}", json={"role": "reader"})
    S.expect_problem(pulled, 404)
    S.expect_problem(ghost, 404)
    assert pulled.json()["detail"] == ghost.json()["detail"] and ye not in pulled.text
    # The account's admin may (the person is of one of its projects).
    S.expect(s.put(f"/api/v1/projects/{a['id']}/members/{yuid}", json={"role": "reader"}), 200)
    # A closed account: 409.
    S.expect(s.delete(f"{ACCOUNTS}/{t.account.id}"), 204)
    S.expect_problem(s.post(inv_path(a["id"]), json={"email": S.unique_mail(), "role": "reader"}), 409)


def test_project_owner_lists_resends_and_revokes_their_projects_invitations(
        api, sql, make_tenant, make_person, set_roles, anon, invitation_mail):
    """A project's owner (project-only, an end customer's person) sees and
    manages the pending invitations of their project, and only those: not
    the account's, not another project's (round-3 walkthrough of seed 003)."""
    t = make_tenant("pm")
    s = api(t.admin)
    a = new_project(api, t, "Kunde M")
    b = new_project(api, t, "Kunde N")
    # The owner of project a joins by invitation: project role only.
    oe = S.unique_mail("pm-own-")
    mid = S.outbox_max_id(sql)
    S.expect(s.post(inv_path(a["id"]), json={"email": oe, "role": "owner"}), 202)
    _, token = invitation_mail(oe, after=mid)
    ouid = S.unique("pmown")
    S.expect(S.accept_invitation(api, token, uid=ouid, password=PASSWORD), 200)
    o = api(ouid, password=PASSWORD)
    wait_sees(o, f"/api/v1/projects/{a['id']}")
    # Pending: one the owner sent to a, one the admin sent to b, one
    # account invitation.
    mine_mail = S.unique_mail("pm-r-")
    mine = S.expect(o.post(inv_path(a["id"]), json={"email": mine_mail, "role": "reader"}), 202)
    theirs = S.expect(s.post(inv_path(b["id"]), json={"email": S.unique_mail("pm-b-"), "role": "reader"}), 202)
    acc = S.expect(s.post(f"{ACCOUNTS}/{t.account.id}/invitations",
                          json={"email": S.unique_mail("pm-acc-"), "role": "member"}), 202)

    listed = S.expect(o.get(inv_path(a["id"])), 200)
    assert [i["id"] for i in listed["items"]] == [mine["id"]]
    item = listed["items"][0]
    assert item["email"] == mine_mail and item["role"] == "reader" and item["project_id"] == a["id"]
    assert item["status"] == "pending" and item["invited_by"] == ouid and listed["next_cursor"] is None
    # Its link works (its sender owns the project), so every listing says
    # usable, with no reason: the project's, the account's and the one
    # invitation (round-17 walkthrough of seed 003, D1: listed as dead).
    everywhere = [item, S.expect(o.get(f"{inv_path(a['id'])}/{mine['id']}"), 200)]
    everywhere += [i for i in S.expect(s.get(f"{ACCOUNTS}/{t.account.id}/invitations"), 200)["items"]
                   if i["id"] == mine["id"]]
    assert len(everywhere) == 3
    for listed_item in everywhere:
        assert listed_item["usable"] is True and "reason" not in listed_item, listed_item
    # The admin sees the same list per project.
    assert [i["id"] for i in S.expect(s.get(inv_path(b["id"])), 200)["items"]] == [theirs["id"]]

    # Resend: a new link, the old one dead.
    _, old = invitation_mail(mine_mail, after=mid)
    mid2 = S.outbox_max_id(sql)
    res = S.expect(o.post(f"{inv_path(a['id'])}/{mine['id']}/resend"), 202)
    assert res["id"] == mine["id"] and res["expires_at"]
    mail, new = invitation_mail(mine_mail, after=mid2)
    assert new != old and "Kunde M" in mail.subject
    S.expect_problem(S.accept_invitation(api, old, password=PASSWORD), 410, "invitation-replaced")

    # Another project's invitation and the account's are not the owner's:
    # 404 through project a, and no such route for them through b.
    for inv in (theirs, acc):
        S.expect_problem(o.post(f"{inv_path(a['id'])}/{inv['id']}/resend"), 404)
        S.expect_problem(o.delete(f"{inv_path(a['id'])}/{inv['id']}"), 404)
    S.expect_problem(o.get(inv_path(b["id"])), 404)
    S.expect_problem(o.delete(f"{inv_path(b['id'])}/{theirs['id']}"), 404)
    still = {i["id"] for i in S.expect(s.get(f"{ACCOUNTS}/{t.account.id}/invitations"), 200)["items"]}
    assert {mine["id"], theirs["id"], acc["id"]} <= still

    # Who may not: a reader of the project 403, an account member 403,
    # another tenant 404, anonymous 401.
    re_ = S.unique_mail("pm-rd-")
    mid3 = S.outbox_max_id(sql)
    S.expect(s.post(inv_path(a["id"]), json={"email": re_, "role": "reader"}), 202)
    _, token = invitation_mail(re_, after=mid3)
    ruid = S.unique("pmrd")
    S.expect(S.accept_invitation(api, token, uid=ruid, password=PASSWORD), 200)
    r = api(ruid, password=PASSWORD)
    wait_sees(r, f"/api/v1/projects/{a['id']}")
    m = make_person(prefix="pmm")
    set_roles(t.admin, t.account.id, m, ["member"])
    other = make_tenant("pmo")
    for who, status in ((r, 403), (api(m), 403), (api(other.admin), 404), (anon, 401)):
        S.expect_problem(who.get(inv_path(a["id"])), status)
        S.expect_problem(who.post(f"{inv_path(a['id'])}/{mine['id']}/resend"), status)
        S.expect_problem(who.delete(f"{inv_path(a['id'])}/{mine['id']}"), status)

    # Revoke: 204, the link answers 410, an audit row names the project,
    # a second revoke 409 (no longer pending; round 10).
    mid4 = S.outbox_max_id(sql)
    S.expect(o.post(f"{inv_path(a['id'])}/{mine['id']}/resend"), 202)
    _, token = invitation_mail(mine_mail, after=mid4)
    S.expect(o.delete(f"{inv_path(a['id'])}/{mine['id']}"), 204)
    S.expect_problem(S.accept_invitation(api, token, password=PASSWORD), 410, "invitation-revoked")
    rows = [x for x in sql.audit(t.account.id) if x["action"] == "invitation.revoke"]
    assert rows and rows[-1]["uid"] == ouid
    assert str(rows[-1]["new_value"]["project_id"]) == a["id"]
    S.expect_problem(o.delete(f"{inv_path(a['id'])}/{mine['id']}"), 409, "conflict")
    assert S.expect(o.get(inv_path(a["id"])), 200)["items"] == []


def delete_project_in_ldap(ldap_admin, account_id, pid):
    """What an LDAP administrator's `ldapdelete -r` of the project does."""
    dn = S.project_dn(account_id, pid)
    for child in S.ldap_children(ldap_admin, dn):
        assert ldap_admin.delete(child), ldap_admin.result
    assert ldap_admin.delete(dn), ldap_admin.result


def test_project_deleted_in_ldap_takes_no_invitations_and_its_accept_is_410(
        api, sql, ldap_admin, make_tenant, invitation_mail):
    """Round-3 walkthrough of seed 003 D4: after an LDAP administrator
    deleted a project's entry, GET and POST …/invitations are 404 "no such
    project", a pending invitation's accept is 410 invitation-revoked with
    nobody created, and the list still shows the project (docs/api.md)."""
    t = make_tenant("pdel")
    s = api(t.admin)
    gone = new_project(api, t, S.unique("Kunde Z "))
    email = S.unique_mail("pz-")
    before = S.outbox_max_id(sql)
    inv = S.expect(s.post(inv_path(gone["id"]), json={"email": email, "role": "reader"}), 202)
    _, token = invitation_mail(email, after=before)

    delete_project_in_ldap(ldap_admin, t.account.id, gone["id"])
    wait_sees(s, f"/api/v1/projects/{gone['id']}", 404)

    # No new invitations to it: 404, nothing written or mailed.
    rows_before = sql.value("SELECT COUNT(*) AS n FROM invitations WHERE account_id=%s", int(t.account.id))
    mails_before = S.outbox_max_id(sql)
    p = S.expect_problem(s.post(inv_path(gone["id"]), json={"email": S.unique_mail("pz-"), "role": "reader"}),
                         404, "not-found")
    assert p["detail"] == "no such project", p
    assert sql.value("SELECT COUNT(*) AS n FROM invitations WHERE account_id=%s",
                     int(t.account.id)) == rows_before
    assert S.outbox_max_id(sql) == mails_before

    # The pending invitation's accept: 410, nobody created, still pending.
    uid = S.unique("pz")
    S.expect_problem(S.accept_invitation(api, token, uid=uid, password=PASSWORD), 410, "invitation-revoked")
    assert S.ldap_entry(ldap_admin, S.person_dn(uid)) is None
    assert S.people_with_mail(ldap_admin, email) == set()
    assert S.invitation_row(sql, inv["id"])["status"] == "pending"
    assert sql.value("SELECT COUNT(*) AS n FROM ldap_intents WHERE account_id=%s AND state='open'",
                     int(t.account.id)) == 0

    # Documented: the list (read from MariaDB) still shows it.
    listed = S.expect(s.get(f"{ACCOUNTS}/{t.account.id}/projects"), 200)["items"]
    assert gone["id"] in {p["id"] for p in listed}, listed

    # Stop-18 leftover: a resend would mail a link that can only answer
    # 410: it is 409 on the account's and on the project's route, with no
    # mail and the token unchanged; revoking it still works.
    token_hash = sql.value("SELECT token_hash FROM invitations WHERE id=%s", int(inv["id"]))
    mails_before = S.outbox_max_id(sql)
    for path in (f"{ACCOUNTS}/{t.account.id}/invitations/{inv['id']}/resend",
                 f"{inv_path(gone['id'])}/{inv['id']}/resend"):
        p = S.expect_problem(s.post(path), 409, "conflict")
        assert "revoke the invitation" in p["detail"], p
    assert S.outbox_max_id(sql) == mails_before
    assert sql.value("SELECT token_hash FROM invitations WHERE id=%s", int(inv["id"])) == token_hash
    # Another tenant's admin learns nothing from the id: 404 as before.
    other = make_tenant("pdelo")
    S.expect_problem(api(other.admin).post(
        f"{ACCOUNTS}/{other.account.id}/invitations/{inv['id']}/resend"), 404, "not-found")
    S.expect(s.delete(f"{ACCOUNTS}/{t.account.id}/invitations/{inv['id']}"), 204)
    assert S.invitation_row(sql, inv["id"])["status"] == "revoked"


def test_a_role_group_deleted_in_ldap_is_404_not_500(api, sql, ldap_admin, make_tenant, make_person,
                                                     set_roles):
    """round-4 walkthrough of seed 003: with the project's reader group
    deleted by an LDAP administrator, PUT …/members/{uid} {role: reader}
    was a 500 (the saga's LDAP step failed and was undone); it is 404 "no
    such project", as the invitation route answers, and nothing changes.
    The roles whose groups are there still work."""
    t = make_tenant("pgrp")
    s = api(t.admin)
    prj = new_project(api, t, S.unique("Kunde G "))
    p = make_person(prefix="pgrp")
    set_roles(t.admin, t.account.id, p, ["member"])
    assert ldap_admin.delete(f"cn=reader,{S.project_dn(t.account.id, prj['id'])}"), ldap_admin.result
    r = s.put(member_path(prj["id"], p.uid), json={"role": "reader"})
    body = S.expect_problem(r, 404, "not-found")
    assert body["detail"] == "no such project", body
    assert sql.value("SELECT COUNT(*) AS n FROM ldap_intents WHERE account_id=%s AND state='open'",
                     int(t.account.id)) == 0
    S.expect(s.put(member_path(prj["id"], p.uid), json={"role": "editor"}), 200)


def test_a_project_invitation_needs_its_owner_still_owner(api, sql, ldap_admin, make_tenant, invitation_mail):
    """round-6 walkthrough of seed 001, D3 (decision): a project
    invitation lasts no longer than its sender's right to send it too. An
    owner of the project who sent it and is a reader by the accept: 410
    invitation-revoked, nothing created; while still owner, it works."""
    t = make_tenant("pio")
    s = api(t.admin)
    p = new_project(api, t, "Kunde O")
    oe = S.unique_mail("pio-own-")
    mid = S.outbox_max_id(sql)
    S.expect(s.post(inv_path(p["id"]), json={"email": oe, "role": "owner"}), 202)
    _, token = invitation_mail(oe, after=mid)
    ouid = S.unique("pioown")
    S.expect(S.accept_invitation(api, token, uid=ouid, password=PASSWORD), 200)
    o = api(ouid, password=PASSWORD)
    wait_sees(o, f"/api/v1/projects/{p['id']}")
    tokens = {}
    for name in ("kept", "lost"):
        email = S.unique_mail(f"pio-{name}-")
        mid = S.outbox_max_id(sql)
        inv = S.expect(o.post(inv_path(p["id"]), json={"email": email, "role": "editor"}), 202)
        tokens[name] = (inv["id"], email, invitation_mail(email, after=mid)[1])
    _, _, token = tokens["kept"]
    S.expect(S.accept_invitation(api, token, uid=S.unique("piok"), password=PASSWORD), 200)
    S.expect(s.put(member_path(p["id"], ouid), json={"role": "reader"}), 200)
    inv_id, email, token = tokens["lost"]
    uid = S.unique("piol")
    body = S.expect_problem(S.accept_invitation(api, token, uid=uid, password=PASSWORD), 410,
                            "invitation-revoked")
    # Round-21 walkthrough of seed 003, D4: the sender was never in the
    # account, and the invitee knows only the project: the text names it
    # and its owners, not "removed from the account".
    assert body["detail"] == (
        'this invitation was revoked: the person who sent it is no longer an owner of project '
        '"Kunde O", and an invitation lasts no longer than its sender\'s right to send it; ask '
        "the project's owners (or the account's administrators) for a new invitation"), body
    assert S.invitation_row(sql, inv_id)["status"] == "pending"
    assert S.people_with_mail(ldap_admin, email) == set()


def test_project_invitation_answers_point_to_what_they_made(api, sql, ldap_admin, make_tenant,
                                                            make_account, make_person, set_roles,
                                                            invitation_mail, anon):
    """Round-8 walkthrough of seed 003: a project invitation's 202 points to
    the invitation on the project's route (GET /projects/{pid}/invitations/
    {inv}), its 201 to the person in the project (GET /projects/{pid}/
    members/{uid}); both read back what the project's lists show."""
    t = make_tenant("pl")
    s = api(t.admin)
    a = new_project(api, t, "Kunde L")
    b = new_project(api, t, "Kunde K")
    email = S.unique_mail("pl-")
    r = s.post(inv_path(a["id"]), json={"email": email, "role": "editor"})
    body = S.expect(r, 202)
    assert r.headers["Location"] == f"{inv_path(a['id'])}/{body['id']}", S.describe(r)
    listed = S.expect(s.get(inv_path(a["id"])), 200)["items"]
    got = S.expect(s.get(r.headers["Location"]), 200)
    assert [got] == [i for i in listed if i["id"] == body["id"]]
    assert (got["email"], got["role"], got["project_id"], got["purpose"], got["status"]) == (
        email, "editor", a["id"], "project", "pending")
    # The account's route shows it too; another project's route, and an
    # account invitation on a project's route, do not.
    assert S.expect(s.get(f"{ACCOUNTS}/{t.account.id}/invitations/{body['id']}"), 200) == got
    acc_inv = S.expect(s.post(f"{ACCOUNTS}/{t.account.id}/invitations",
                              json={"email": S.unique_mail("pl-a-"), "role": "member"}), 202)
    for path in (f"{inv_path(b['id'])}/{body['id']}", f"{inv_path(a['id'])}/{acc_inv['id']}",
                 f"{inv_path(a['id'])}/999999999"):
        detail = S.expect_problem(s.get(path), 404, "not-found")["detail"]
        assert detail == "no such invitation", path
    # Revoked: its status now.
    S.expect(s.delete(r.headers["Location"]), 204)
    assert S.expect(s.get(r.headers["Location"]), 200)["status"] == "revoked"

    # A person of the tree is added at once: the Location is them in the
    # project, read as PUT answers and as the project lists them.
    child = make_account(t.admin, "customer", t.account.id)
    g = make_person(prefix="plg")
    set_roles(t.admin, child.id, g, ["member"])
    r = s.post(inv_path(a["id"]), json={"email": g.mail, "role": "reader"})
    assert S.expect(r, 201)["status"] == "added"
    assert r.headers["Location"] == member_path(a["id"], g.uid), S.describe(r)
    got = S.expect(s.get(r.headers["Location"]), 200)
    assert got == {"uid": g.uid, "name": g.name, "mail": g.mail, "project_id": a["id"],
                   "roles": ["reader"]}
    members = S.expect(s.get(f"/api/v1/projects/{a['id']}"), 200)["members"]
    assert {k: v for k, v in got.items() if k != "project_id"} in members
    assert S.expect(s.put(member_path(a["id"], g.uid), json={"role": "editor"}), 200) == dict(
        got, roles=["editor"])
    assert S.expect(s.get(member_path(a["id"], g.uid)), 200)["roles"] == ["editor"]


def test_who_reads_one_project_invitation_and_one_project_member(api, sql, ldap_admin, make_tenant,
                                                                 make_person, set_roles,
                                                                 invitation_mail, anon):
    """Round-8 walkthrough of seed 003: GET /projects/{pid}/invitations/
    {inv} has the roles of the project's invitation list (the account's
    admins and service providers, the project's owners; 403 for others
    who see the project), GET /projects/{pid}/members/{uid} those of GET
    /projects/{pid} (whoever sees the project, its people included).
    Another tenant gets 404, nobody 401."""
    t = make_tenant("pw")
    s = api(t.admin)
    a = new_project(api, t, "Kunde W")
    b = new_project(api, t, "Kunde V")
    # A project-only owner of a and a project-only reader of a.
    people = {}
    for role in ("owner", "reader"):
        mail = S.unique_mail(f"pw-{role}-")
        before = S.outbox_max_id(sql)
        S.expect(s.post(inv_path(a["id"]), json={"email": mail, "role": role}), 202)
        _, token = invitation_mail(mail, after=before)
        uid = S.unique(f"pw{role[0]}")
        S.expect(S.accept_invitation(api, token, uid=uid, password=PASSWORD), 200)
        people[role] = (uid, api(uid, password=PASSWORD))
        wait_sees(people[role][1], f"/api/v1/projects/{a['id']}")
    inv = S.expect(s.post(inv_path(a["id"]), json={"email": S.unique_mail("pw-i-"), "role": "reader"}),
                   202)
    inv_one = f"{inv_path(a['id'])}/{inv['id']}"
    owner_uid, owner = people["owner"]
    reader_uid, reader = people["reader"]
    sp = make_person(prefix="pws")
    set_roles(t.admin, t.account.id, sp, ["service-provider"])
    m = make_person(prefix="pwm")
    set_roles(t.admin, t.account.id, m, ["member"])
    other = make_tenant("pwo")
    # The invitation: admin, service provider and the project's owner.
    want = S.expect(s.get(inv_one), 200)
    for who in (api(sp), owner):
        assert S.expect(who.get(inv_one), 200) == want
    for who in (reader, api(m)):
        S.expect_problem(who.get(inv_one), 403, "forbidden")
    S.expect_problem(api(other.admin).get(inv_one), 404)
    S.expect_problem(anon.get(inv_one), 401)
    # The owner of a does not read b's invitations (it does not see b).
    binv = S.expect(s.post(inv_path(b["id"]), json={"email": S.unique_mail("pw-b-"), "role": "reader"}),
                    202)
    S.expect_problem(owner.get(f"{inv_path(b['id'])}/{binv['id']}"), 404)

    # One person of the project: everyone who sees the project.
    one = member_path(a["id"], owner_uid)
    want = S.expect(s.get(one), 200)
    assert (want["uid"], want["roles"], want["project_id"]) == (owner_uid, ["owner"], a["id"])
    for who in (api(sp), api(m), owner, reader):
        assert S.expect(who.get(one), 200) == want
    # Someone without a role in the project, an unknown uid: the 404 a
    # DELETE gives, the same for both.
    gone = s.delete(member_path(a["id"], m.uid))
    body = S.expect_problem(gone, 404, "not-found")
    for uid in (m.uid, S.unique("ghost"), "*"):
        got = S.expect_problem(s.get(member_path(a["id"], uid)), 404, "not-found")
        assert got["detail"] == body["detail"], got
    # Project b is not the reader's: 404 as for the project itself; another
    # tenant 404; nobody 401.
    admin_in_b = member_path(b["id"], t.admin.uid)
    assert S.expect(s.get(admin_in_b), 200)["roles"] == ["owner"]
    for who in (reader, api(other.admin)):
        got = S.expect_problem(who.get(admin_in_b), 404, "not-found")
        assert got["detail"] == "no such project", got
    S.expect_problem(anon.get(one), 401)


def test_a_deleted_projects_invitation_link_says_why_it_was_revoked(api, sql, make_tenant,
                                                                    invitation_mail):
    """Round-14 walkthrough of seed 003, D3: a project invitation revoked
    because its project was deleted answered only "this invitation was
    revoked", though the revoke's audit row records why. Its link (and a
    link a renewal replaced before) now says so; one an admin revoked keeps
    the plain detail. The project's owner renews it (the mail says it
    replaces the earlier one, now as an editor instead of an owner: round-14
    walkthrough of seed 001, D3)."""
    t = make_tenant("pdel")
    s = api(t.admin)
    prj = new_project(api, t, "Kunde D")
    email = S.unique_mail("pdel-")
    before = S.outbox_max_id(sql)
    inv = S.expect(s.post(inv_path(prj["id"]), json={"email": email, "role": "owner"}), 202)
    mail1, old = invitation_mail(email, after=before)
    assert "replaces" not in mail1.body, mail1.body
    S.expect(s.post(inv_path(prj["id"]), json={"email": email, "role": "editor"}), 202)
    mail2, token = invitation_mail(email, after=mail1.outbox_id)
    assert ("This invitation replaces the one sent to you before, now as an editor instead of an "
            "owner: the link in that earlier mail no longer works.") in mail2.body, mail2.body

    S.expect(s.delete(f"/api/v1/projects/{prj['id']}"), 204)
    rows = [a for a in sql.audit(t.account.id) if a["action"] == "invitation.revoke"]
    assert rows and rows[-1]["new_value"]["reason"] == "the project was deleted", rows
    for link in (token, old):
        p = S.expect_problem(S.accept_invitation(api, link, password=PASSWORD), 410,
                             "invitation-revoked")
        assert p["detail"] == "this invitation was revoked: the project was deleted", (link, p)

    # One an admin revoked (its project still there) keeps the plain detail.
    kept = new_project(api, t, "Kunde K")
    other = S.unique_mail("pdel-k-")
    before = S.outbox_max_id(sql)
    plain = S.expect(s.post(inv_path(kept["id"]), json={"email": other, "role": "reader"}), 202)
    _, token = invitation_mail(other, after=before)
    S.expect(s.delete(f"{inv_path(kept['id'])}/{plain['id']}"), 204)
    p = S.expect_problem(S.accept_invitation(api, token, password=PASSWORD), 410,
                         "invitation-revoked")
    assert p["detail"] == "this invitation was revoked", p


OWNER_403 = ("your role in this account does not allow this: it needs admin or service-provider, "
             "or an owner role in the project; ask an administrator of the account")


def test_a_project_owner_with_an_account_role_manages_its_people_and_invitations(
        api, sql, ldap_admin, make_tenant, make_person, set_roles, invitation_mail, anon):
    """Round-18 walkthrough of seed 003, D2: a reseller's employee with an
    ordinary account role (member, billing) made owner of a project got
    403 "it needs admin or service-provider" on the project's people and
    invitations, while an owner with no account role passed: the router
    looked at the account role only. A project's owner manages its people
    and invitations whatever their account role; everyone else who holds
    an account role but neither the route's roles nor the project's owner
    role gets a 403 that names both; another tenant 404; nobody 401."""
    t = make_tenant("pown")
    s = api(t.admin)
    a = new_project(api, t, S.unique("Kunde Vier ERP "))
    b = new_project(api, t, S.unique("Kunde B "))
    adam, otto, mia = (make_person(prefix=p) for p in ("powa", "powo", "powm"))
    for who in (adam, otto, mia):
        set_roles(t.admin, t.account.id, who, ["member"])
    S.expect(s.put(member_path(a["id"], adam.uid), json={"role": "owner"}), 200)
    S.expect(s.put(member_path(a["id"], mia.uid), json={"role": "editor"}), 200)
    owner = api(adam)
    wait_sees(owner, f"/api/v1/projects/{a['id']}")

    for role in ("member", "billing"):
        set_roles(t.admin, t.account.id, adam, [role])
        # Invitations: create, list, read one, resend, revoke.
        email = S.unique_mail("pown-x-")
        before = S.outbox_max_id(sql)
        inv = S.expect(owner.post(inv_path(a["id"]), json={"email": email, "role": "reader"}), 202)
        _, token = invitation_mail(email, after=before)
        listed = S.expect(owner.get(inv_path(a["id"])), 200)["items"]
        mine = [i for i in listed if i["id"] == inv["id"]]
        assert len(mine) == 1 and mine[0]["invited_by"] == adam.uid, listed
        # Its link works: its sender owns the project.
        assert mine[0]["usable"] is True, mine
        one = S.expect(owner.get(f"{inv_path(a['id'])}/{inv['id']}"), 200)
        assert one["id"] == inv["id"] and one["status"] == "pending", one
        S.expect(owner.post(f"{inv_path(a['id'])}/{inv['id']}/resend"), 202)
        S.expect(owner.delete(f"{inv_path(a['id'])}/{inv['id']}"), 204)
        assert S.invitation_row(sql, inv["id"])["status"] == "revoked"
        # People: one of the account put in, its role changed, taken out.
        got = S.expect(owner.put(member_path(a["id"], otto.uid), json={"role": "reader"}), 200)
        assert got["roles"] == ["reader"], got
        S.expect(owner.put(member_path(a["id"], otto.uid), json={"role": "editor"}), 200)
        S.expect(owner.delete(member_path(a["id"], otto.uid)), 204)
        assert S.norm_dn(otto.dn) not in S.project_members(ldap_admin, t.account.id, a["id"],
                                                           "editor")
        audit = [x for x in sql.audit(t.account.id) if x["action"] == "project.member.remove"]
        assert audit[-1]["uid"] == adam.uid and audit[-1]["new_value"]["uid"] == otto.uid, audit

    # An invitation the owner sent, accepted: the person joins.
    email = S.unique_mail("pown-y-")
    before = S.outbox_max_id(sql)
    S.expect(owner.post(inv_path(a["id"]), json={"email": email, "role": "reader"}), 202)
    _, token = invitation_mail(email, after=before)
    uid = S.unique("powy")
    got = S.expect(S.accept_invitation(api, token, uid=uid, password=PASSWORD), 200)
    assert got["project_id"] == a["id"], got

    # Not an owner of b: 403 naming both ways in, as for a member of the
    # account without a project role, and an editor of a.
    pending = S.expect(s.post(inv_path(a["id"]), json={"email": S.unique_mail("pown-z-"),
                                                       "role": "reader"}), 202)
    for who, pid in ((owner, b["id"]), (api(otto), a["id"]), (api(mia), a["id"])):
        calls = [who.post(inv_path(pid), json={"email": S.unique_mail("pown-n-"), "role": "reader"}),
                 who.get(inv_path(pid)),
                 who.put(member_path(pid, otto.uid), json={"role": "reader"}),
                 who.delete(member_path(pid, otto.uid))]
        if pid == a["id"]:
            one = f"{inv_path(pid)}/{pending['id']}"
            calls += [who.get(one), who.post(f"{one}/resend"), who.delete(one)]
        for r in calls:
            p = S.expect_problem(r, 403, "forbidden")
            assert p["detail"] == OWNER_403, p
    # The project itself stays the account's admins' and providers'.
    p = S.expect_problem(owner.patch(f"/api/v1/projects/{a['id']}", json={"name": "X"}), 403)
    assert "it needs admin or service-provider; ask" in p["detail"], p
    S.expect_problem(owner.delete(f"/api/v1/projects/{a['id']}"), 403)
    # Another tenant 404, nobody 401, and nothing written by any of them.
    other = make_tenant("powt")
    for who, status in ((api(other.admin), 404), (anon, 401)):
        S.expect_problem(who.get(inv_path(a["id"])), status)
        S.expect_problem(who.post(inv_path(a["id"]), json={"email": S.unique_mail(), "role": "reader"}),
                         status)
        S.expect_problem(who.put(member_path(a["id"], otto.uid), json={"role": "reader"}), status)
        S.expect_problem(who.post(f"{inv_path(a['id'])}/{pending['id']}/resend"), status)
    assert S.invitation_row(sql, pending["id"])["status"] == "pending"
    assert S.norm_dn(otto.dn) not in S.project_members(ldap_admin, t.account.id, a["id"], "reader")
    # Demoted to editor, the former owner is refused like anyone else.
    S.expect(s.put(member_path(a["id"], adam.uid), json={"role": "editor"}), 200)
    p = S.expect_problem(owner.get(inv_path(a["id"])), 403, "forbidden")
    assert p["detail"] == OWNER_403, p


def test_an_invitation_to_a_project_deleted_in_ldap_is_listed_unusable(
        api, sql, ldap_admin, make_tenant, make_person, set_roles, invitation_mail):
    """Round-18 walkthrough of seed 003, D3: a pending invitation to a
    project an LDAP administrator deleted was listed usable: true, while
    its link answers 410 invitation-revoked and its resend 409. It is
    listed usable: false with the reason, on the account's list, the
    project's list and the one invitation; so is one whose role group
    alone was deleted. Invitations to a project that is there stay
    usable. The lists keep their roles: a member 403, another tenant
    404."""
    t = make_tenant("pdu")
    s = api(t.admin)
    gone = new_project(api, t, S.unique("Temp Projekt "))
    half = new_project(api, t, S.unique("Halb Projekt "))
    kept = new_project(api, t, S.unique("Kunde K "))
    invs = {}
    for key, prj, role in (("gone", gone, "editor"), ("gone2", gone, "reader"),
                           ("half", half, "reader"), ("half_ok", half, "editor"),
                           ("kept", kept, "reader")):
        email = S.unique_mail(f"pdu-{key}-")
        before = S.outbox_max_id(sql)
        invs[key] = S.expect(s.post(inv_path(prj["id"]), json={"email": email, "role": role}), 202)
        invs[key]["token"] = invitation_mail(email, after=before)[1]
    delete_project_in_ldap(ldap_admin, t.account.id, gone["id"])
    assert ldap_admin.delete(f"cn=reader,{S.project_dn(t.account.id, half['id'])}"), ldap_admin.result
    wait_sees(s, f"/api/v1/projects/{gone['id']}", 404)

    gone_reason = ("its project is no longer in the directory: its link answers 410 "
                   "invitation-revoked; revoke it")
    half_reason = ("its project's reader group is no longer in the directory: its link answers "
                   "410 invitation-revoked; revoke it")
    want = {"gone": (False, gone_reason), "gone2": (False, gone_reason),
            "half": (False, half_reason), "half_ok": (True, None), "kept": (True, None)}
    projects = {"gone": gone, "gone2": gone, "half": half, "half_ok": half, "kept": kept}
    listed = {i["id"]: i for i in
              S.expect(s.get(f"{ACCOUNTS}/{t.account.id}/invitations"), 200)["items"]}
    for key, (usable, reason) in want.items():
        pid = projects[key]["id"]
        inv_id = invs[key]["id"]
        in_project = {i["id"]: i for i in S.expect(s.get(inv_path(pid)), 200)["items"]}
        for item in (listed[inv_id], in_project[inv_id],
                     S.expect(s.get(f"{inv_path(pid)}/{inv_id}"), 200),
                     S.expect(s.get(f"{ACCOUNTS}/{t.account.id}/invitations/{inv_id}"), 200)):
            assert item["usable"] is usable and item.get("reason") == reason, (key, item)
    # What the flag says is what the link and the resend do.
    S.expect_problem(S.accept_invitation(api, invs["gone"]["token"], uid=S.unique("pdu"),
                                         password=PASSWORD), 410, "invitation-revoked")
    S.expect_problem(S.accept_invitation(api, invs["half"]["token"], uid=S.unique("pdu"),
                                         password=PASSWORD), 410, "invitation-revoked")
    for key in ("gone", "half"):
        S.expect_problem(s.post(f"{inv_path(projects[key]['id'])}/{invs[key]['id']}/resend"), 409,
                         "conflict")
    S.expect(S.accept_invitation(api, invs["kept"]["token"], uid=S.unique("pdu"),
                                 password=PASSWORD), 200)
    # Who may not read them.
    m = make_person(prefix="pdum")
    set_roles(t.admin, t.account.id, m, ["member"])
    other = make_tenant("pduo")
    for who, status in ((api(m), 403), (api(other.admin), 404)):
        S.expect_problem(who.get(f"{ACCOUNTS}/{t.account.id}/invitations"), status)
        S.expect_problem(who.get(inv_path(gone["id"])), status)
        S.expect_problem(who.get(f"{inv_path(gone['id'])}/{invs['gone']['id']}"), status)
    # Revoked, it leaves the list.
    S.expect(s.delete(f"{inv_path(gone['id'])}/{invs['gone']['id']}"), 204)
    assert invs["gone"]["id"] not in {i["id"] for i in
                                      S.expect(s.get(inv_path(gone["id"])), 200)["items"]}


# ---------------------------------------------------------------- round 20

ADDED_DIRECTLY = ("this invitation is no longer needed: you were added to the project directly; "
                  "sign in with your existing account")


def join_by_invitation(api, sql, invitation_mail, session, pid, role, prefix):
    """A new person who joins project pid as role through session's
    invitation (a project role only): (uid, mail, their session)."""
    email = S.unique_mail(prefix + "-")
    mid = S.outbox_max_id(sql)
    S.expect(session.post(inv_path(pid), json={"email": email, "role": role}), 202)
    _, token = invitation_mail(email, after=mid)
    uid = S.unique(prefix)
    S.expect(S.accept_invitation(api, token, uid=uid, password=PASSWORD), 200)
    theirs = api(uid, password=PASSWORD)
    wait_sees(theirs, f"/api/v1/projects/{pid}")
    return uid, email, theirs


def project_sets_of(sql, account_id, uid):
    return [x for x in sql.audit(account_id)
            if x["action"] == "project.member.set" and x["new_value"]["uid"] == uid]


def test_inviting_a_person_of_the_project_adds_at_once_without_an_invitation(
        api, sql, ldap_admin, make_tenant, make_person, set_roles, anon, invitation_mail):
    """Round-20 walkthrough of seed 003, D1: Viktor, the project's
    project-only owner, invited Wanda, a reader he sees in GET /projects/
    {pid} with her mail, by e-mail: she was mailed a fresh invitation
    ("Hello," and a join link) and it stayed pending. A person LDAP knows
    by that mail who holds a role in the project is added at once now, as
    a person of the caller's tree is: the role she has already is the
    201 of the first time (no invitation, no mail, no audit row); another
    role is added to hers and she is told so. Who may not invite stays as
    it was: a reader and an account member 403, another tenant 404,
    anonymous 401."""
    t = make_tenant("p20a")
    s = api(t.admin)
    a = new_project(api, t, "Kunde Vier ERP")
    b = new_project(api, t, "Kunde Fuenf Shop")
    vuid, _, viktor = join_by_invitation(api, sql, invitation_mail, s, a["id"], "owner", "p20v")
    wuid, wmail, wanda = join_by_invitation(api, sql, invitation_mail, s, a["id"], "reader", "p20w")
    members = S.expect(viktor.get(f"/api/v1/projects/{a['id']}"), 200)["members"]
    assert wmail in {m["mail"] for m in members}, members

    # The role she holds: the 201 of an addition, nothing made or mailed.
    before = S.outbox_max_id(sql)
    r = viktor.post(inv_path(a["id"]), json={"email": wmail.upper(), "role": "reader"})
    body = S.expect(r, 201)
    assert body == {"status": "added", "uid": wuid, "role": "reader", "project_id": a["id"]}, body
    assert r.headers["Location"] == member_path(a["id"], wuid), S.describe(r)
    assert S.outbox_rows(sql, recipient=wmail, after_id=before) == []
    assert S.expect(viktor.get(inv_path(a["id"])), 200)["items"] == []
    assert sql.value("SELECT COUNT(*) FROM invitations WHERE LOWER(email)=LOWER(%s)", wmail) == 1
    assert project_sets_of(sql, t.account.id, wuid) == []
    # The form alike.
    r = viktor.form("POST", inv_path(a["id"]), [("email", wmail), ("role", "reader")])
    assert S.expect(r, 201) == body
    assert S.outbox_rows(sql, recipient=wmail, after_id=before) == []

    # Another role: added to hers at once, audited, and she is told.
    body = S.expect(viktor.post(inv_path(a["id"]), json={"email": wmail, "role": "editor"}), 201)
    assert body == {"status": "added", "uid": wuid, "role": "editor", "project_id": a["id"]}, body
    projects, account = roles_everywhere(ldap_admin, t.account.id, [a["id"], b["id"]],
                                         S.person_dn(wuid))
    assert projects == {a["id"]: {"reader", "editor"}, b["id"]: set()} and account == set()
    assert outbox_to(sql, wmail, before) == [("added-to-account", "sent")]
    sets = project_sets_of(sql, t.account.id, wuid)
    assert len(sets) == 1 and sets[0]["uid"] == vuid, sets
    assert sql.value("SELECT COUNT(*) FROM invitations WHERE LOWER(email)=LOWER(%s)", wmail) == 1

    # Who may not: a reader of the project 403, an account member 403,
    # another tenant 404, anonymous 401; nothing changes for Wanda.
    m = make_person(prefix="p20m")
    set_roles(t.admin, t.account.id, m, ["member"])
    other = make_tenant("p20ao")
    mid = S.outbox_max_id(sql)
    for who, status in ((wanda, 403), (api(m), 403), (api(other.admin), 404), (anon, 401)):
        r = who.post(inv_path(a["id"]), json={"email": wmail, "role": "owner"})
        S.expect_problem(r, status)
        assert wuid not in r.text, S.describe(r)
    projects, _ = roles_everywhere(ldap_admin, t.account.id, [a["id"]], S.person_dn(wuid))
    assert projects == {a["id"]: {"reader", "editor"}}
    assert S.outbox_rows(sql, recipient=wmail, after_id=mid) == []


def test_adding_a_person_at_once_ends_their_pending_project_invitation(
        api, sql, ldap_admin, make_tenant, make_account, make_person, set_roles, anon,
        invitation_mail):
    """Round-20 walkthrough of seed 003, D1: Viktor (the project's
    project-only owner) invited a person of the reseller's tree, who is
    no one he may add at once (202, mailed); the reseller's admin then
    added them at once (201), and Viktor's invitation stayed pending and
    usable. As for the account ("A person added at once ends a pending
    member invitation of their address"), a change that gives a person a
    project role — an invitation's 201 or a PUT — revokes the pending
    invitation of their address to that project in the same transaction
    (audit invitation.revoke, reason "added at once", with project_id);
    its link is 410 saying they were added to the project directly. A
    pending invitation of the address to another project stays."""
    t = make_tenant("p20b")
    s = api(t.admin)
    a = new_project(api, t, "Kunde Vier ERP")
    b = new_project(api, t, "Kunde Fuenf Shop")
    vuid, _, viktor = join_by_invitation(api, sql, invitation_mail, s, a["id"], "owner", "p20bv")
    child = make_account(t.admin, "customer", t.account.id)

    # By the admin's invitation (201 added).
    g = make_person(prefix="p20g")
    set_roles(t.admin, child.id, g, ["member"])
    mid = S.outbox_max_id(sql)
    pending = S.expect(viktor.post(inv_path(a["id"]), json={"email": g.mail, "role": "editor"}), 202)
    _, token = invitation_mail(g.mail, after=mid)
    listed = S.expect(viktor.get(inv_path(a["id"])), 200)["items"]
    assert [(i["id"], i["usable"]) for i in listed] == [(pending["id"], True)], listed
    added = S.expect(s.post(inv_path(a["id"]), json={"email": g.mail.upper(), "role": "editor"}), 201)
    assert (added["status"], added["uid"]) == ("added", g.uid), added
    assert S.invitation_row(sql, pending["id"])["status"] == "revoked"
    assert S.expect(viktor.get(inv_path(a["id"])), 200)["items"] == []
    assert S.expect(viktor.get(f"{inv_path(a['id'])}/{pending['id']}"), 200)["status"] == "revoked"
    rows = [x for x in sql.audit(t.account.id) if x["action"] == "invitation.revoke"]
    assert rows and rows[-1]["uid"] == t.admin.uid, rows
    assert rows[-1]["old_value"] == {"invitation_id": int(pending["id"]), "status": "pending"}, rows
    assert rows[-1]["new_value"] == {"invitation_id": int(pending["id"]), "status": "revoked",
                                     "project_id": int(a["id"]), "reason": "added at once"}, rows
    p = S.expect_problem(S.accept_invitation(api, token), 410, "invitation-revoked")
    assert p["detail"] == ADDED_DIRECTLY, p
    projects, _ = roles_everywhere(ldap_admin, t.account.id, [a["id"]], g.dn)
    assert projects == {a["id"]: {"editor"}}

    # By a PUT; the address's pending invitation to another project stays.
    x = make_person(prefix="p20x")   # outside everyone's tree
    mid = S.outbox_max_id(sql)
    in_a = S.expect(s.post(inv_path(a["id"]), json={"email": x.mail, "role": "reader"}), 202)
    _, token_a = invitation_mail(x.mail, after=mid)
    mid = S.outbox_max_id(sql)
    in_b = S.expect(s.post(inv_path(b["id"]), json={"email": x.mail, "role": "reader"}), 202)
    _, token_b = invitation_mail(x.mail, after=mid)
    # Placed into project a by uid once they are the account's (here: a
    # member of it); then the pending invitation to a ends, b's stays.
    set_roles(t.admin, t.account.id, x, ["member"])
    S.expect(s.put(member_path(a["id"], x.uid), json={"role": "owner"}), 200)
    assert S.invitation_row(sql, in_a["id"])["status"] == "revoked"
    assert S.invitation_row(sql, in_b["id"])["status"] == "pending"
    p = S.expect_problem(S.accept_invitation(api, token_a), 410, "invitation-revoked")
    assert p["detail"] == ADDED_DIRECTLY, p
    rows = [x_ for x_ in sql.audit(t.account.id) if x_["action"] == "invitation.revoke"]
    assert rows[-1]["new_value"]["invitation_id"] == int(in_a["id"]), rows
    assert rows[-1]["new_value"]["reason"] == "added at once", rows
    # ... and b's is accepted as before.
    data = S.expect(S.accept_invitation(api, token_b), 200)
    assert (data["uid"], data["project_id"], data["created"]) == (x.uid, b["id"], False), data

    # Who may not place by PUT: a project-only reader 403, another tenant
    # 404, anonymous 401; no invitation is touched.
    h = make_person(prefix="p20h")
    set_roles(t.admin, child.id, h, ["billing"])
    _, _, reader = join_by_invitation(api, sql, invitation_mail, s, a["id"], "reader", "p20br")
    other = make_tenant("p20bo")
    late = S.expect(viktor.post(inv_path(a["id"]), json={"email": h.mail, "role": "editor"}), 202)
    for who, status in ((reader, 403), (api(other.admin), 404), (anon, 401)):
        S.expect_problem(who.put(member_path(a["id"], h.uid), json={"role": "editor"}), status)
    assert S.invitation_row(sql, late["id"])["status"] == "pending"


def test_inviting_a_project_member_to_a_lesser_role_changes_nothing(
        api, sql, ldap_admin, make_tenant, make_person, set_roles, anon, invitation_mail):
    """Round-23 walkthrough of seed 003, D1: Viktor, a project-only owner,
    invited Rita (the project's creator and owner) and Juergen (an editor)
    as readers: both were "added", mailed "added you to project ... as a
    reader" and held ["owner","reader"] and ["editor","reader"]. Decision,
    as for an admin invited as member (round 22): owner gives everything
    editor and reader give, editor everything reader gives, so the role
    asked for is covered: the same 201 added with a note, no mail, no audit
    row, LDAP groups unchanged, by JSON and by form. A reader invited as
    editor is still added, mailed and audited. Who may not invite is
    refused as before."""
    t = make_tenant("p23c")
    rita = t.admin  # created the project: its owner
    s = api(rita)
    a = new_project(api, t, "t23 Kunde Vier ERP")
    vuid, _, viktor = join_by_invitation(api, sql, invitation_mail, s, a["id"], "owner", "p23v")
    juid, jmail, juergen = join_by_invitation(api, sql, invitation_mail, s, a["id"], "editor",
                                              "p23j")
    wuid, wmail, wanda = join_by_invitation(api, sql, invitation_mail, s, a["id"], "reader", "p23w")
    jname = S.expect(viktor.get(member_path(a["id"], juid)), 200)["name"] or juid
    place = f'project "t23 Kunde Vier ERP" in {t.account.name}'

    def note(name, held, asked):
        return (f"{name} is already {held} of {place}, which gives everything the {asked} role"
                " gives: nothing changed and no mail was sent")

    first = S.outbox_max_id(sql)
    sets_before = len([x for x in sql.audit(t.account.id) if x["action"] == "project.member.set"])

    def unchanged():
        for dn, roles in ((rita.dn, {"owner"}), (S.person_dn(juid), {"editor"})):
            projects, _ = roles_everywhere(ldap_admin, t.account.id, [a["id"]], dn)
            assert projects == {a["id"]: roles}, (dn, projects)
        assert [r for r in S.outbox_rows(sql, after_id=first)
                if r["recipient"].lower() in (rita.mail.lower(), jmail.lower())] == []
        sets = [x for x in sql.audit(t.account.id) if x["action"] == "project.member.set"]
        assert len(sets) == sets_before, sets[sets_before:]

    cases = ((rita.mail, rita.uid, "reader", note(rita.name, "an owner", "reader")),
             (rita.mail.upper(), rita.uid, "editor", note(rita.name, "an owner", "editor")),
             (jmail, juid, "reader", note(jname, "an editor", "reader")))
    for by in (viktor, s):
        for email, uid, role, text in cases:
            r = by.post(inv_path(a["id"]), json={"email": email, "role": role})
            body = S.expect(r, 201)
            assert body == {"status": "added", "uid": uid, "role": role, "project_id": a["id"],
                            "note": text}, body
            assert r.headers["Location"] == member_path(a["id"], uid), S.describe(r)
    unchanged()
    # The form: 303 to return_to with the uid, and without it the 201.
    r = viktor.form("POST", inv_path(a["id"]), [("email", jmail), ("role", "reader"),
                                                 ("return_to", S.ORIGIN + "/people/{id}")])
    assert r.status_code == 303, S.describe(r)
    assert r.headers["Location"] == S.ORIGIN + f"/people/{juid}", S.describe(r)
    r = viktor.form("POST", inv_path(a["id"]), [("email", rita.mail), ("role", "reader")])
    assert S.expect(r, 201)["note"] == note(rita.name, "an owner", "reader")
    unchanged()
    members = S.expect(viktor.get(f"/api/v1/projects/{a['id']}"), 200)["members"]
    assert {m["uid"]: m["roles"] for m in members if m["uid"] in (rita.uid, juid)} == \
        {rita.uid: ["owner"], juid: ["editor"]}, members

    # Who may not: a reader and an editor of the project, an account
    # member 403, another tenant 404, anonymous 401.
    m = make_person(prefix="p23m")
    set_roles(rita, t.account.id, m, ["member"])
    other = make_tenant("p23o")
    for who, status in ((wanda, 403), (juergen, 403), (api(m), 403), (api(other.admin), 404),
                        (anon, 401)):
        S.expect_problem(who.post(inv_path(a["id"]), json={"email": rita.mail, "role": "reader"}),
                         status)
    unchanged()

    # A reader invited as editor is a change, as before: added next to
    # reader, mailed and audited.
    body = S.expect(viktor.post(inv_path(a["id"]), json={"email": wmail, "role": "editor"}), 201)
    assert body == {"status": "added", "uid": wuid, "role": "editor", "project_id": a["id"]}, body
    projects, _ = roles_everywhere(ldap_admin, t.account.id, [a["id"]], S.person_dn(wuid))
    assert projects == {a["id"]: {"reader", "editor"}}
    assert outbox_to(sql, wmail, first) == [("added-to-account", "sent")]
    assert len(project_sets_of(sql, t.account.id, wuid)) == 1
    # Her mail names the role given and the roles she holds now (round-23
    # walkthrough of seed 004, D1).
    text = S.with_bodies(S.outbox_rows(sql, recipient=wmail, after_id=first))[0]["body"]
    assert f" made you an editor in {place}, where you are already a reader: your roles there" \
        " are now editor and reader.\n" in text, text
    assert "Sign in" not in text, text
