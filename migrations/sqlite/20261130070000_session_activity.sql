-- When the person last did something in the session (a page opened, a key pressed or a click in
-- the console): a session idle for `session_idle_secs` ends. NULL: not since it was opened.
ALTER TABLE sessions ADD COLUMN last_active_at INTEGER;
