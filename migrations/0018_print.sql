-- A human 编号 per application (澄江-2020-0001): the town's short name, the filing year and a sequence per town and
-- year, assigned at intake. Existing rows are numbered here in the order they were made (UUIDv7 keys sort by time).
ALTER TABLE applications ADD COLUMN serial_year INTEGER;
ALTER TABLE applications ADD COLUMN serial_no BIGINT;
ALTER TABLE applications ADD COLUMN number TEXT;

UPDATE applications SET serial_year = CAST(SUBSTR(CAST(applied_on AS TEXT), 1, 4) AS INTEGER);
UPDATE applications SET serial_no = (
    SELECT COUNT(*) FROM applications b
    WHERE b.town_code = applications.town_code AND b.serial_year = applications.serial_year AND b.id <= applications.id
);
UPDATE applications SET number = (
    SELECT CASE
        WHEN t.name LIKE '%街道' THEN SUBSTR(t.name, 1, LENGTH(t.name) - 2)
        WHEN t.name LIKE '%镇' THEN SUBSTR(t.name, 1, LENGTH(t.name) - 1)
        ELSE t.name END
    FROM areas t WHERE t.code = applications.town_code
) || '-' || CAST(serial_year AS TEXT) || '-' || CASE WHEN serial_no < 10000 THEN SUBSTR(CAST(10000 + serial_no AS TEXT), 2) ELSE CAST(serial_no AS TEXT) END;
-- a town missing from the areas table still gets a number (never NULL, so the unique index holds)
UPDATE applications SET number = town_code || '-' || CAST(serial_year AS TEXT) || '-' || CASE WHEN serial_no < 10000 THEN SUBSTR(CAST(10000 + serial_no AS TEXT), 2) ELSE CAST(serial_no AS TEXT) END
WHERE number IS NULL;

CREATE UNIQUE INDEX applications_serial ON applications (town_code, serial_year, serial_no);
CREATE UNIQUE INDEX applications_number ON applications (number);
