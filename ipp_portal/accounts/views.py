from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from . import services, throttle
from .forms import (
    LoginForm,
    OutboxPasswordResetForm,
    PortalPasswordChangeForm,
    PortalSetPasswordForm,
    ResendVerificationForm,
    SignUpForm,
)

LIMITED_MESSAGE = "Too many requests from you or for this email address. Try again in {minutes} minutes."


def _limited(request, form, template: str, email: str):
    """The form again with a 429 if this request would pass a limit on account email (nothing is sent)."""
    retry_after = throttle.account_email_allowed(request, email)
    if retry_after is None:
        return None
    form.add_error(None, LIMITED_MESSAGE.format(minutes=max(1, -(-retry_after // 60))))
    response = render(request, template, {"form": form}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


@require_http_methods(["GET", "POST"])
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        limited = _limited(request, form, "accounts/signup_form.html", form.cleaned_data["email"])
        if limited:
            return limited
        services.user_sign_up(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            full_name=form.cleaned_data["full_name"],
        )
        return render(request, "accounts/signup_done.html", {"email": form.cleaned_data["email"]})
    return render(request, "accounts/signup_form.html", {"form": form})


def verify_email(request, uidb64: str, token: str):
    """The link only shows a confirm button; verifying is a POST (mail scanners follow GET links)."""
    if request.method == "POST":
        try:
            services.user_verify_email(uidb64=uidb64, token=token)
        except services.VerificationLinkInvalid as exc:
            messages.error(request, exc.message)
            return redirect("accounts:resend-verification")
        messages.success(request, "Your email address is confirmed. You can sign in now.")
        return redirect("accounts:login")
    return render(request, "accounts/verify_confirm.html")


@require_http_methods(["GET", "POST"])
def resend_verification(request):
    form = ResendVerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        limited = _limited(request, form, "accounts/resend_verification.html", form.cleaned_data["email"])
        if limited:
            return limited
        services.user_resend_verification(email=form.cleaned_data["email"])
        messages.success(request, "If that address belongs to an unconfirmed account, a new link is on its way.")
        return redirect("accounts:login")
    return render(request, "accounts/resend_verification.html", {"form": form})


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form):
        return _limited(self.request, form, self.template_name, form.cleaned_data["email"]) or super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = PortalSetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PortalPasswordChangeForm
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:password-change-done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"
