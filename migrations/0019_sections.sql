-- The bureau's sections (科室): a city officer acts only in the lines of its sections (codes separated by commas).
-- Existing city officers keep every section, so nothing they did before is refused after the upgrade.
ALTER TABLE users ADD COLUMN sections TEXT NOT NULL DEFAULT '';
UPDATE users SET sections = 'social_assistance,verification,elderly_care,child_welfare,social_affairs,social_organisations,office'
WHERE role = 'city_officer';
