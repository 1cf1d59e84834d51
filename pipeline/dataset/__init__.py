"""From facts to a dataset: near-duplicate documents (clusters), claims
and conflicts (claims), the province panel (panel), its data dictionary
(dictionary) and frozen releases (release)."""
from __future__ import annotations


def refresh(con) -> dict:
    """Bring the derived tables up to date: sketch and cluster the documents
    stored since the last call, then rebuild claims and conflicts."""
    from pipeline.dataset.claims import rebuild_claims
    from pipeline.dataset.clusters import update_clusters

    sketched = update_clusters(con)
    claims, conflicts = rebuild_claims(con)
    return {"sketched": sketched, "claims": claims, "conflicts": conflicts}
