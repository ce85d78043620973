from typing import TYPE_CHECKING

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ipp_portal.notifications.services import queue

from . import lockout, throttle
from .models import User


def password_rules_help() -> str:
    """Every rule the password validators (AUTH_PASSWORD_VALIDATORS) enforce, as a list: the hint beside a new
    password states exactly what will be checked, no more and no less."""
    return password_validation.password_validators_help_text_html()


class SignUpForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(label="Email address", max_length=254)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = password_rules_help()

    def clean_email(self) -> str:
        # Whether the address already has an account is not said here (that would tell anyone which addresses
        # are registered); the sign-up service emails the owner instead.
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        # Form.clean returns cleaned_data; its type allows None for overrides that return nothing.
        if cleaned is None:
            return cleaned
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        # Both checks, whatever the first finds: a weak password typed twice differently shows both problems.
        if p1:
            candidate = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ. Type the same password twice.")
        return cleaned


if TYPE_CHECKING:
    # What the mixin reads (request, clean) comes from the AuthenticationForm it is mixed into.
    _SignInFormBase = AuthenticationForm
else:
    _SignInFormBase = object


class SignInLimitsMixin(_SignInFormBase):
    """Sign-in attempts limited per client address (a sliding window in the cache) before any password is checked,
    and django-axes' lockout of one (address, account) pair after repeated failures explained on the form."""

    def clean(self):
        ip = throttle.client_ip(self.request) if self.request else "unknown"
        limit = throttle.sign_in_limit()
        if limit.is_exceeded(ip):
            retry_after = limit.retry_after(ip)
            if self.request is not None:
                lockout.refuse(self.request, retry_after=retry_after)
            raise forms.ValidationError(
                lockout.THROTTLED_MESSAGE.format(minutes=max(1, -(-retry_after // 60))), code="throttled"
            )
        limit.hit(ip)
        try:
            return super().clean()
        except forms.ValidationError as exc:
            if self.request is not None and getattr(self.request, "axes_locked_out", False):
                lockout.refuse(self.request, retry_after=lockout.cooloff_minutes() * 60)
                raise forms.ValidationError(lockout.locked_message(), code="locked_out") from exc
            raise


class LoginForm(SignInLimitsMixin, AuthenticationForm):
    """Email + password, limited per client address and locked per (address, account) after repeated failures."""

    username = forms.EmailField(label="Email address", widget=forms.EmailInput(attrs={"autofocus": True}))

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email address and password do not match an account. Check both and try again.",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_email_verified:
            raise forms.ValidationError(
                format_html(
                    'Confirm your email address first: open the link we sent you. <a href="{}">Send a new link</a>.',
                    reverse("accounts:resend-verification"),
                ),
                code="unverified",
            )


class AdminLoginForm(SignInLimitsMixin, AdminAuthenticationForm):
    """The staff admin's sign-in, with the same limits as the portal's."""


class ResendVerificationForm(forms.Form):
    email = forms.EmailField(label="Email address")


class OutboxPasswordResetForm(PasswordResetForm):
    """Password-reset emails go through the notifications outbox like every other notice."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        with transaction.atomic():
            queue(
                recipient=user,
                template="accounts/password_reset",
                context={
                    "name": user.get_short_name(),
                    "path": reverse("accounts:password-reset-confirm", args=[context["uid"], context["token"]]),
                },
                target=user,
                is_sensitive=True,
            )


if TYPE_CHECKING:
    _NewPasswordFormBase = SetPasswordForm
else:
    _NewPasswordFormBase = object


class NewPasswordRulesMixin(_NewPasswordFormBase):
    """A new password (reset or change): the hint lists every rule, and a weak password typed twice differently is
    told both at once, each at its own field (Django's form checks the rules only once the two match, and reports
    them at the confirmation)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = password_rules_help()

    def clean(self):
        p1, p2 = self.cleaned_data.get("new_password1"), self.cleaned_data.get("new_password2")
        if p1:
            try:
                password_validation.validate_password(p1, self.user)
            except forms.ValidationError as exc:
                self.add_error("new_password1", exc)
        if p1 and p2 and p1 != p2:
            self.add_error("new_password2", _("The two passwords differ. Type the same password twice."))
        return self.cleaned_data


class PortalSetPasswordForm(NewPasswordRulesMixin, SetPasswordForm):
    """The new password after a reset link."""


class PortalPasswordChangeForm(NewPasswordRulesMixin, PasswordChangeForm):
    """The signed-in person's password change."""
