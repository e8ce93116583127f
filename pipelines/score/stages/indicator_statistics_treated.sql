-- One row per indicator: the data checks on its raw values and what outlier treatment did to it.
SELECT s.*, t.outliers_method, t.skew_after, t.kurtosis_after, t.winsorised_high, t.winsorised_low, t.logged,
       t.treatment
FROM eng_indicator_statistics s
JOIN eng_treatment t USING (indicator_code)
