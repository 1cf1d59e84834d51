-- Facts per indicator, with how many are targets and decreases.
SELECT indicator, count(*) AS facts,
       count(*) FILTER (WHERE status = 'target') AS targets,
       count(*) FILTER (WHERE change = 'decrease') AS decreases,
       count(DISTINCT province) AS provinces
FROM facts GROUP BY indicator ORDER BY facts DESC;
