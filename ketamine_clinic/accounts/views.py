"""Staff management, invitations, API tokens and the role matrix."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketamine_clinic.common.forms import add_service_errors

from . import selectors, services
from .access import clinics_where, require
from .forms import AcceptInvitationForm, ApiTokenForm, InviteForm, RoleForm
from .http import StaffRequest
from .permissions import ROLE_LABELS, Perm, Role, matrix_rows


@login_required
def staff_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.STAFF_MANAGE)
    return render(
        request,
        "accounts/staff_list.html",
        {"memberships": selectors.staff_directory(request.user), "role_form": RoleForm()},
    )


@login_required
def staff_invite(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.STAFF_MANAGE)
    clinics = clinics_where(request.user, Perm.STAFF_MANAGE)
    form = InviteForm(request.POST or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.staff_invite(
                actor=request.user,
                clinic=data["clinic"],
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=Role(data["role"]),
                credentials=data["credentials"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            role_label = ROLE_LABELS[Role(data["role"])]
            if invitation.token is None:
                staff = invitation.membership.staff
                messages.success(
                    request, f"{staff} now also works at {data['clinic'].name} as {role_label}."
                )
                return redirect("accounts:staff")
            link = request.build_absolute_uri(
                reverse("accounts:accept_invitation", args=[invitation.token])
            )
            send_mail(
                subject=f"You are invited to {data['clinic'].name} on ketamine-clinic",
                message=(
                    f"Hello {data['first_name']},\n\nYou have a role as "
                    f"{role_label} at {data['clinic'].name}. Choose your "
                    f"password here (valid for 7 days, once):\n\n{link}\n\nYou will then set up "
                    "two-factor authentication with an authenticator app.\n"
                ),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[data["email"]],
            )
            messages.success(
                request, f"Invitation sent to {data['email']}. The link is also: {link}"
            )
            return redirect("accounts:staff")
    return render(request, "accounts/staff_invite.html", {"form": form})


@login_required
@require_POST
def staff_change_role(request: StaffRequest, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(selectors.staff_directory(request.user), pk=membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Role: choose one of the roles in the list.")
        return redirect("accounts:staff")
    role = Role(form.cleaned_data["role"])
    try:
        services.staff_change_role(actor=request.user, membership=membership, role=role)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.staff} is now {ROLE_LABELS[role]}.")
    return redirect("accounts:staff")


@login_required
@require_POST
def staff_deactivate(request: StaffRequest, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(selectors.staff_directory(request.user), pk=membership_id)
    try:
        services.staff_deactivate(actor=request.user, membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.staff} no longer works at {membership.clinic}.")
    return redirect("accounts:staff")


@login_required
@require_POST
def staff_reset_two_factor(request: StaffRequest, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(selectors.staff_directory(request.user), pk=membership_id)
    try:
        services.staff_reset_two_factor(actor=request.user, membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"Two-factor reset for {membership.staff}: they enrol again at next sign-in."
        )
    return redirect("accounts:staff")


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        raise Http404("This invitation is not valid, or it has expired or been used.")
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_accept_invitation(token=token, password=form.cleaned_data["password1"])
        except ValidationError as error:
            if hasattr(error, "error_dict") and "password" in error.error_dict:
                # The service names the password; the form asks for it as password1.
                form.add_error("password1", error.message_dict["password"])
            else:
                add_service_errors(form, error)
        else:
            messages.success(request, "Password set. Sign in, then set up two-factor.")
            return redirect("account_login")
    return render(
        request, "accounts/accept_invitation.html", {"form": form, "staff": invitation.staff}
    )


@login_required
def api_tokens(request: StaffRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        issued = services.api_token_create(staff=request.user, name=form.cleaned_data["name"])
        new_token = issued.token
        form = ApiTokenForm()
    tokens = request.user.api_tokens.all()
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
    )


@login_required
@require_POST
def api_token_revoke(request: StaffRequest, token_id: int) -> HttpResponse:
    api_token = get_object_or_404(request.user.api_tokens, pk=token_id, revoked_at=None)
    services.api_token_revoke(actor=request.user, api_token=api_token)
    messages.success(request, f"Token {api_token.prefix}… revoked.")
    return redirect("accounts:api_tokens")


@login_required
def role_matrix(request: StaffRequest) -> HttpResponse:
    return render(
        request,
        "accounts/role_matrix.html",
        {"roles": [ROLE_LABELS[r] for r in Role], "rows": matrix_rows()},
    )
