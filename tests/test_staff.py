"""Roles, assisted sign-up at the desk, desk password reset, outbox."""

import re

from portal.models import OutboxMessage, StaffSite, User


def test_staff_pages_refuse_residents_and_strangers(client, seed, auth):
    assert client.get("/staff").status_code == 302
    auth.login("maria@binari.example")
    for path in ("/staff", "/staff/members", "/staff/members/new", "/staff/outbox"):
        assert client.get(path).status_code == 403, path
    assert client.post("/staff/members/new", data={"name": "X", "phone": "3330000000"}).status_code == 403


def test_staff_dashboard_shows_own_centres(client, seed, auth):
    auth.login("faenza@staff.binari.example")
    html = client.get("/staff").get_data(as_text=True)
    assert "I tuoi centri: Viale Faenza</p>" in html


def test_assisted_signup_gives_card_and_temporary_password(client, seed, auth):
    auth.login("erlembaldo@staff.binari.example")
    response = client.post("/staff/members/new", data={"name": "Fatima Zahra", "email": "", "phone": "320 111 2233"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    password = re.search(r"Password temporanea: <strong class=\"code\">([a-z0-9-]+)</strong>", html).group(1)
    member = User.get(User.phone == "+393201112233")
    assert member.created_by.email == "erlembaldo@staff.binari.example"
    assert client.get(f"/staff/members/{member.id}/card.pdf").data.startswith(b"%PDF")
    auth.logout()
    assert auth.login("3201112233", password).status_code == 302


def test_assisted_signup_bad_input(client, seed, auth):
    auth.login("erlembaldo@staff.binari.example")
    response = client.post("/staff/members/new", data={"name": "", "email": "", "phone": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Scrivi il tuo nome." in html and "oppure un numero di cellulare" in html


def test_desk_password_reset_for_resident_only(client, seed, auth):
    auth.login("visconti@staff.binari.example")
    ahmed = User.get(User.phone == "+393331234567")
    User.update(created_by=User.get(User.email == "visconti@staff.binari.example")).where(User.id == ahmed.id).execute()
    response = client.post(f"/staff/members/{ahmed.id}/reset-password")
    assert response.status_code == 200
    password = re.search(
        r"Password temporanea: <strong class=\"code\">([a-z0-9-]+)</strong>", response.get_data(as_text=True)
    ).group(1)
    colleague = User.get(User.email == "faenza@staff.binari.example")
    assert client.post(f"/staff/members/{colleague.id}/reset-password").status_code == 404  # not tied to Visconti
    assert client.post("/staff/members/9999/reset-password").status_code == 404
    auth.logout()
    assert auth.login("+39 333 1234567", password).status_code == 302


def test_member_search_by_code_phone_name(client, seed, auth):
    auth.login("visconti@staff.binari.example")
    wei = User.get(User.email == "wei@binari.example")
    User.update(created_by=User.get(User.email == "visconti@staff.binari.example")).where(User.id == wei.id).execute()
    for q in (wei.member_code, "347 111 2233", "wei chen"):
        html = client.get("/staff/members", query_string={"q": q}).get_data(as_text=True)
        assert "Wei Chen" in html, q
    fragment = client.get("/staff/members", query_string={"q": "wei"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "Wei Chen" in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get(
        "/staff/members", query_string={"q": "wei"}, headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert "<html" in boosted.get_data(as_text=True)


def test_only_admin_changes_roles(client, seed, auth):
    maria = User.get(User.email == "maria@binari.example")
    auth.login("faenza@staff.binari.example")
    assert client.post(f"/staff/members/{maria.id}/role", data={"role": "admin"}).status_code == 403
    auth.logout()
    auth.login("admin@binari.example")
    faenza = seed["sites"]["faenza"]
    response = client.post(f"/staff/members/{maria.id}/role", data={"role": "staff", "sites": [str(faenza.id)]})
    assert response.status_code == 302
    maria = User.get_by_id(maria.id)
    assert maria.role == "staff" and maria.can_manage(faenza) and not maria.can_manage(seed["sites"]["visconti"])
    assert client.post(f"/staff/members/{maria.id}/role", data={"role": "boss"}).status_code == 422


def test_can_manage_rules(seed, make_user):
    sites = seed["sites"]
    staff = make_user(name="Staff Uno", email="s1@example.org", role="staff", sites=[sites["faenza"]])
    admin = User.get(User.email == "admin@binari.example")
    resident = User.get(User.email == "maria@binari.example")
    assert staff.can_manage(sites["faenza"]) and not staff.can_manage(sites["visconti"])
    assert admin.can_manage(sites["visconti"]) and not resident.can_manage(sites["faenza"])
    assert [s.slug for s in staff.managed_sites()] == ["faenza"]
    assert StaffSite.select().where(StaffSite.user == staff).count() == 1


def test_outbox_hides_password_links_from_staff(client, seed, auth):
    client.post("/password/forgot", data={"email": "maria@binari.example"})
    assert OutboxMessage.select().count() == 1
    auth.login("faenza@staff.binari.example")
    html = client.get("/staff/outbox").get_data(as_text=True)
    assert "/password/reset/" not in html and "maria@binari.example" not in html  # mail about no centre: admins only
    auth.logout()
    auth.login("admin@binari.example")
    assert "/password/reset/" in client.get("/staff/outbox").get_data(as_text=True)
