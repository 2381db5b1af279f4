-- A name search counts its matches inside the caller's area from the name index alone: the index carries the area.
DROP INDEX persons_name;
CREATE INDEX persons_name ON persons (name, area_code);
