"""Admins invite, re-role and deactivate staff; nobody is deleted."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts import services
from ketamine_clinic.accounts.access import AccessDenied
from ketamine_clinic.accounts.models import Membership, StaffInvitation, StaffMember
from ketamine_clinic.accounts.permissions import Role
from ketamine_clinic.audit.models import AuditEvent


def _invite(world, client):
    return client.post(
        "/staff/invite/",
        {
            "clinic": world.clinic1.pk,
            "role": "nurse",
            "username": "jdoe",
            "first_name": "Jo",
            "last_name": "Doe",
            "email": "jo@example.org",
            "credentials": "RN",
        },
    )


def test_admin_invites_and_the_invitee_sets_a_password_once(world, login):
    client = login(world.admin)
    assert _invite(world, client).status_code == 302
    staff = StaffMember.objects.get(username="jdoe")
    assert not staff.has_usable_password()
    assert Membership.objects.get(staff=staff).role == "nurse"
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/staff/invitation/[^\s]+/)", mail.outbox[0].body)
    assert link is not None
    invite = AuditEvent.objects.get(action="staff.invite")
    assert invite.detail == {"username": "jdoe", "role": "nurse", "new_account": True}

    client.logout()
    url = link.group(1)
    weak = client.post(url, {"password1": "short", "password2": "short"})
    assert weak.content.decode().count("This password is too short.") == 1  # on the field, once
    good = client.post(
        url, {"password1": "a long pass phrase 42", "password2": "a long pass phrase 42"}
    )
    assert good.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("a long pass phrase 42")
    assert client.get(url).status_code == 404  # used up


def test_a_colleague_given_a_role_at_another_clinic_keeps_their_own_password(world, login):
    """No password link for an existing account: the admin types the address it goes to."""
    from tests.conftest import PASSWORD, make_staff

    south_admin = make_staff(world.org, "southadmin", world.clinic2, "admin")
    client = login(south_admin)
    response = client.post(
        "/staff/invite/",
        {
            "clinic": world.clinic2.pk,
            "role": "nurse",
            "username": "prescriber",
            "first_name": "Someone",
            "last_name": "Else",
            "email": "someone@elsewhere.example",
        },
    )
    assert response.status_code == 302
    assert mail.outbox == []
    assert not StaffInvitation.objects.filter(staff=world.prescriber).exists()
    world.prescriber.refresh_from_db()
    assert world.prescriber.check_password(PASSWORD)
    assert (world.prescriber.email, world.prescriber.first_name) == (
        "prescriber@example.org",
        "Prescriber",
    )
    assert Membership.objects.get(staff=world.prescriber, clinic=world.clinic2).role == "nurse"
    invite = AuditEvent.objects.get(action="staff.invite")
    assert invite.detail == {"username": "prescriber", "role": "nurse", "new_account": False}
    assert "now also works at South as Nurse" in client.get("/staff/").content.decode()


def test_invitations_are_refused_to_non_admins(world):
    with pytest.raises(AccessDenied):
        services.staff_invite(
            actor=world.prescriber,
            clinic=world.clinic1,
            username="x",
            email="x@example.org",
            first_name="X",
            last_name="Y",
            role=Role.NURSE,
        )


def test_admin_cannot_invite_to_a_clinic_they_do_not_administer(world, login):
    client = login(world.admin)
    response = client.post(
        "/staff/invite/",
        {
            "clinic": world.clinic2.pk,
            "role": "nurse",
            "username": "z",
            "first_name": "Z",
            "last_name": "Z",
            "email": "z@example.org",
        },
    )
    assert "Select a valid choice" in response.content.decode()
    assert not StaffMember.objects.filter(username="z").exists()


def test_a_taken_username_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        services.staff_invite(
            actor=world.admin,
            clinic=world.clinic1,
            username="nurse",
            email="n@example.org",
            first_name="N",
            last_name="N",
            role=Role.NURSE,
        )
    assert caught.value.message_dict == {
        "username": ["This person already has a role at this clinic."]
    }


def test_role_change_is_audited(world):
    membership = Membership.objects.get(staff=world.nurse)
    services.staff_change_role(actor=world.admin, membership=membership, role=Role.PRESCRIBER)
    event = AuditEvent.objects.get(action="staff.role_change")
    assert event.changes == {"role": ["nurse", "prescriber"]}
    assert event.actor == world.admin
    assert event.clinic == world.clinic1


def test_admins_cannot_change_their_own_role_nor_an_ended_one(world, login):
    own = Membership.objects.get(staff=world.admin)
    client = login(world.admin)
    response = client.post(f"/staff/{own.pk}/role/", {"role": "nurse"}, follow=True)
    assert "Ask another admin to change your own role." in response.content.decode()
    own.refresh_from_db()
    assert own.role == "admin"
    ended = Membership.objects.get(staff=world.nurse)
    services.staff_deactivate(actor=world.admin, membership=ended)
    with pytest.raises(ValidationError) as caught:
        services.staff_change_role(actor=world.admin, membership=ended, role=Role.PRESCRIBER)
    assert caught.value.message_dict == {"role": ["This role has ended: invite the person again."]}
    assert not AuditEvent.objects.filter(action="staff.role_change").exists()


def test_deactivation_closes_the_account_but_keeps_it(world, token_for, client):
    from decimal import Decimal

    from ketamine_clinic.patients.services import weight_record

    weight = weight_record(actor=world.nurse, patient=world.patient1, weight_kg=Decimal("81.0"))
    headers = token_for(world.nurse)
    membership = Membership.objects.get(staff=world.nurse)
    services.staff_deactivate(actor=world.admin, membership=membership)
    world.nurse.refresh_from_db()
    assert world.nurse.is_active is False
    assert StaffMember.objects.filter(username="nurse").exists()
    assert client.get("/api/v1/me", **headers).status_code == 401
    assert not client.login(username="nurse", password="correct horse battery staple")
    event = AuditEvent.objects.get(action="staff.deactivate")
    assert event.detail == {"username": "nurse", "account_closed": True}
    # what they recorded stays attributed to them
    weight.refresh_from_db()
    assert weight.recorded_by == world.nurse
    recorded = AuditEvent.objects.get(action="weight.record", object_id=str(weight.pk))
    assert (recorded.actor, recorded.actor_username) == (world.nurse, "nurse")


def test_admin_resets_a_lost_authenticator_and_the_owner_enrols_again(world, login):
    from allauth.mfa.models import Authenticator

    from tests.conftest import enrol_totp

    enrol_totp(world.nurse)
    assert Authenticator.objects.filter(user=world.nurse).count() == 1
    membership = Membership.objects.get(staff=world.nurse)
    client = login(world.admin)
    before = client.get("/staff/").content.decode()
    assert before.count("<td>enrolled</td>") == 2  # the admin (signed in) and the nurse
    response = client.post(f"/staff/{membership.pk}/reset-two-factor/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=world.nurse).exists()
    after = client.get("/staff/").content.decode()
    assert after.count("<td>enrolled</td>") == 1
    event = AuditEvent.objects.get(action="auth.mfa_reset")
    assert event.detail == {"username": "nurse", "authenticators_removed": 1}
    with pytest.raises(AccessDenied):
        services.staff_reset_two_factor(actor=world.prescriber, membership=membership)


def test_a_two_factor_reset_needs_rights_at_every_clinic_of_the_colleague(world):
    from allauth.mfa.models import Authenticator

    from tests.conftest import enrol_totp

    enrol_totp(world.nurse)
    Membership.objects.create(staff=world.nurse, clinic=world.clinic2, role="nurse")
    membership = Membership.objects.get(staff=world.nurse, clinic=world.clinic1)
    with pytest.raises(AccessDenied):
        services.staff_reset_two_factor(actor=world.admin, membership=membership)
    assert Authenticator.objects.filter(user=world.nurse).count() == 1
    assert not AuditEvent.objects.filter(action="auth.mfa_reset").exists()
    Membership.objects.create(staff=world.admin, clinic=world.clinic2, role="admin")
    assert services.staff_reset_two_factor(actor=world.admin, membership=membership) == 1
    events = AuditEvent.objects.filter(action="auth.mfa_reset").order_by("clinic_id")
    assert [e.clinic for e in events] == [world.clinic1, world.clinic2]


def test_admins_cannot_deactivate_themselves(world):
    with pytest.raises(ValidationError, match="your own role"):
        services.staff_deactivate(
            actor=world.admin, membership=Membership.objects.get(staff=world.admin)
        )


def test_staff_page_lists_memberships_of_administered_clinics(world, login):
    body = login(world.admin).get("/staff/").content.decode()
    for username in ("admin", "prescriber", "nurse", "frontdesk", "auditor"):
        assert f"<td>{username}</td>" in body
    assert "nurse2" not in body  # clinic 2 is not administered by this admin


def test_role_matrix_page(world, login):
    body = login(world.nurse).get("/staff/roles/").content.decode()
    assert "Search and export the audit trail" in body
    assert body.count("<th>") >= 6
