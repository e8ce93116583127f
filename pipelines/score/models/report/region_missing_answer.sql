-- report.region_missing_answer: one row per assessed region × question that fewer of its OPDs answered than
-- submitted a questionnaire, with the question's text (curated.question_bank), for the region page.
SELECT v.unit_code AS region_code, v.indicator_code AS question_code, v.answers, u.opd_submissions AS opds,
       b.text_id, b.text_en
FROM score.readiness_value v
JOIN score.readiness_unit u USING (unit_code)
LEFT JOIN curated.question_bank b ON b.question_code = v.indicator_code
WHERE v.answers < u.opd_submissions
