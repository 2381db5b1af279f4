-- A town officer's number search (last 4 characters within a town) must not walk the town's whole name index:
-- the last-4 index carries the town and the name, so the search is one range of it, already in name order.
DROP INDEX persons_last4;
CREATE INDEX persons_last4 ON persons (id_last4, town_code, name);
