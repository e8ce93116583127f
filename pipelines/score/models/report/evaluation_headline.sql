-- report.evaluation_headline: one row (none without score sheets): the latest evaluation year's headline: regions
-- ranked and with too few assessors, the best, the assessors' agreement over all components, the cells to moderate
-- and the assessors leaning lenient or severe.
WITH latest AS (
    SELECT * FROM score.evaluation_year ORDER BY year DESC LIMIT 1
),
regions AS (
    SELECT count(evaluation_index) AS ranked, count(*) FILTER (WHERE too_few_assessors) AS too_few,
           string_agg(region_name || ' (' || evaluation_index || ')', ', ' ORDER BY region_code)
               FILTER (WHERE national_rank = 1) AS best
    FROM score.evaluation_region WHERE year = (SELECT year FROM latest)
),
agreement AS (
    SELECT any_value(verdict_alpha) AS alpha, any_value(verdict_level) AS alpha_level, any_value(verdict) AS verdict
    FROM score.evaluation_agreement WHERE year = (SELECT year FROM latest) AND component = 'all'
),
moderation AS (
    SELECT count(*) AS to_moderate FROM score.evaluation_moderation WHERE year = (SELECT year FROM latest)
),
leaning AS (
    SELECT string_agg(evaluator || ' ' || leaning, ', ' ORDER BY evaluator) AS leaning
    FROM score.evaluation_assessor WHERE year = (SELECT year FROM latest) AND leaning IN ('lenient', 'severe')
)
SELECT l.year, l.status, r.ranked, r.too_few, r.best, a.alpha, a.alpha_level, a.verdict, m.to_moderate, s.leaning
FROM latest l
CROSS JOIN regions r
CROSS JOIN agreement a
CROSS JOIN moderation m
CROSS JOIN leaning s
