"""Signed webhooks for complainants (issue 15): endpoints they register, the events they choose, and an outbox of
deliveries written in the same transaction as the notice that causes them, sent after commit, retried with backoff
and re-dispatched by a beat sweep, so an event is never lost and each attempt is logged."""
