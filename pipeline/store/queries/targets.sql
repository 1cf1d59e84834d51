-- Targets (plans, instructions, expectations) with their target year.
SELECT province, locality, indicator, change, value, percent, approx, target_year, doc, quote
FROM facts
WHERE status = 'target'
ORDER BY target_year NULLS LAST, province COLLATE vi, indicator;
