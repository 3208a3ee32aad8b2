"""Notifications: webhooks (HMAC-signed, retried, dead-lettered) and e-mail, from the outbox."""
