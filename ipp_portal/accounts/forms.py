from typing import TYPE_CHECKING

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from ipp_portal.notifications.services import queue

from . import lockout, throttle
from .models import User


class SignUpForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(label="Email address", max_length=254)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters; not a common or all-numeric password.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

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
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ. Type the same password twice.")
        elif p1:
            candidate = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
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
