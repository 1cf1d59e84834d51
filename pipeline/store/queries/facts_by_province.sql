-- Facts by province and indicator: how many, and the newest figure's date.
SELECT province, indicator, count(*) AS facts, count(DISTINCT doc) AS documents,
       max(as_of) AS latest_as_of
FROM facts
GROUP BY ALL
ORDER BY province COLLATE vi NULLS LAST, indicator;
