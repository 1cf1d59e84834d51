-- The latest figure per indicator and place: the newest dated achieved claim, with its sources and conflict flag.
-- Claims are built from facts by `vnfacts claims` (also run by `vnfacts export panel` and `vnfacts release`).
SELECT province, province_2025, locality, indicator, change, level, value, total, percent, approx, as_of,
       documents AS sources, sites, independent, conflict, original_doc, claim
FROM (
    SELECT c.*, row_number() OVER (
        PARTITION BY c.place, c.indicator, c.change, c.level
        ORDER BY c.as_of DESC, c.documents DESC, c.claim) AS rank
    FROM claims c
    WHERE c.status = 'achieved' AND c.as_of IS NOT NULL
)
WHERE rank = 1
ORDER BY province NULLS LAST, locality, indicator, change, level NULLS FIRST;
