-- Customer satisfaction: after a conversation is resolved its customer may rate it 1 to 5 with
-- a comment (once per resolution: reopened and resolved again, they are asked again).
ALTER TABLE conversations ADD COLUMN csat_rating INTEGER CHECK (csat_rating BETWEEN 1 AND 5);
ALTER TABLE conversations ADD COLUMN csat_comment TEXT;
ALTER TABLE conversations ADD COLUMN csat_at INTEGER;
