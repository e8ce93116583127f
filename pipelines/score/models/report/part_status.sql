-- report.part_status: one row per part of the scores (score.part_status): complete, missing or withheld, and why;
-- the report leaves out a part that is not complete.
SELECT * FROM score.part_status
