-- Which identity numbers each load mentions, as a Bloom filter (base64; see domain verification::idfilter): the
-- verification asks a source's index only about recipients its loads may mention. Loads made before this column
-- have none and are asked about everyone.
ALTER TABLE source_loads ADD COLUMN id_filter TEXT;
