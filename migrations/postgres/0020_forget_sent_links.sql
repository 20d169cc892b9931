-- An invitation's or a password reset's text holds a link that signs its
-- holder in: once sent (or given up), it is no longer kept in the outbox
-- (server/src/store/mail.rs, FORGOTTEN_ONCE_SENT). The ones sent before.

UPDATE outbox SET text_body = '', html_body = ''
WHERE kind IN ('invitation', 'password-reset')
  AND (sent_at IS NOT NULL OR failed_at IS NOT NULL);
