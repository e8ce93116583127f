-- report.evaluation_moderation: one row per cell to moderate (score.evaluation_moderation), widest spread first.
SELECT * FROM score.evaluation_moderation
