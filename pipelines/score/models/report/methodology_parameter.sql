-- report.methodology_parameter: one row per method or threshold of the methodology (methodology.parameter).
SELECT * FROM methodology.parameter
