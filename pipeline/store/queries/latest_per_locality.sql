-- The latest achieved count per locality and indicator (by as_of, then publication).
SELECT locality, province, indicator, change, value, total, percent, as_of, doc, quote
FROM (
    SELECT f.*, row_number() OVER (
        PARTITION BY coalesce(f.locality, f.province), f.indicator, f.change, f.level
        ORDER BY f.as_of DESC NULLS LAST, d.published DESC NULLS LAST) AS rank
    FROM facts f JOIN documents d ON d.id = f.doc
    WHERE f.status = 'achieved'
)
WHERE rank = 1
ORDER BY province COLLATE vi NULLS LAST, locality COLLATE vi, indicator;
