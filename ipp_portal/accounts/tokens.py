"""Email-verification tokens: signed, time-limited, and void once the address is verified."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "ipp_portal.accounts.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        # Changing the verified state or the address invalidates links already sent.
        return f"{user.pk}{user.email}{user.email_verified_at}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()
