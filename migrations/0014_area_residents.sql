-- Residents (persons with status normal) per village, kept by every write to persons in that write's transaction
-- (storage::persons): 人情保's coverage rates read a few hundred rows instead of counting two million persons.
CREATE TABLE area_residents (
    area_code TEXT PRIMARY KEY,
    residents BIGINT NOT NULL
);
INSERT INTO area_residents (area_code, residents)
SELECT area_code, COUNT(*) FROM persons WHERE status = 'normal' GROUP BY area_code;
