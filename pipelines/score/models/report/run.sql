-- report.run: one row: the hashes of the methodology and of the inputs this warehouse was scored with
-- (methodology.run), printed on every page and in the manifest.
SELECT methodology_hash, inputs_hash FROM methodology.run
