-- The full history per place: every claim about each place in date order, targets after achieved figures.
-- Claims are built from facts by `vnfacts claims` (also run by `vnfacts export panel` and `vnfacts release`).
SELECT province, locality, indicator, change, status, level, as_of, target_year, value, total, percent, approx,
       documents AS sources, sites, independent, first_seen, last_seen, conflict, claim
FROM claims
ORDER BY province NULLS LAST, place, indicator, change, level NULLS FIRST, status,
         as_of NULLS LAST, target_year NULLS LAST, value NULLS LAST, percent NULLS LAST, claim;
