-- The duplicate check's look-up of earlier reports by person. Keyed by the whole keyed
-- SSN hash (64 hex characters) and the FEIN, this index was the new-hire intake's largest
-- cost: hashes arrive in random order, so every accepted record dirtied its own page of a
-- ~100 MB index (a million records), written to the WAL and again at checkpoint. Keyed by
-- the hash's first 16 hex characters (64 bits), the index is a third of the size and a
-- transaction of many records dirties fewer pages. The look-up states the expression word
-- for word (a database uses an expression index only then) and compares the whole hash and
-- the FEIN on the rows it finds. Keep in step with ../postgres/0016_new_hire_person_prefix.sql.
DROP INDEX new_hire_by_person;
CREATE INDEX new_hire_by_person ON new_hire_records (substr(ssn_hash, 1, 16))
    WHERE status = 'accepted';
